// The account's outgoing mail server for rules' email actions (GET/PUT/DELETE /api/mail): SMTP (host, port,
// TLS or STARTTLS, login) or Cloudflare Email. The password is write-only: "saved" when one is, and left out
// of a save to keep it. "Send test email" sends through the saved server and says what it answered.
import { useState } from 'preact/hooks';
import { api, must, sentence, type Schemas } from '../../../api.ts';
import { Confirmed, Field, Notice, Section, errorText, useAsync, type Note } from '../../../components.tsx';

type Mail = Schemas['MailSettings'];
type MailInput = Schemas['MailSettingsInput'];
type Security = NonNullable<MailInput['security']>;
type Transport = NonNullable<MailInput['transport']>;

const PORTS: Record<Security, number> = { tls: 465, starttls: 587, none: 25 };

/** The saved settings, or null when none are (the API answers 404 then). */
async function loadMail(): Promise<Mail | null> {
  const { data, error, response } = await api.GET('/api/mail');
  if (response.status === 404) return null;
  if (error !== undefined || !data) throw new Error(sentence(error, `The server answered ${response.status}.`));
  return data;
}

function MailForm(props: { saved: Mail | null; onSaved: (m: Mail) => void; onForgotten: () => void }) {
  const s = props.saved;
  const [transport, setTransport] = useState<Transport>(s?.transport ?? 'smtp');
  const [host, setHost] = useState(s?.host ?? '');
  const [port, setPort] = useState(s?.port ? String(s.port) : '');
  const [security, setSecurity] = useState<Security>(s?.security ?? 'tls');
  const [username, setUsername] = useState(s?.username ?? '');
  const [password, setPassword] = useState('');
  const [from, setFrom] = useState(s?.from ?? '');
  const [fromName, setFromName] = useState(s?.fromName ?? '');
  const [note, setNote] = useState<Note>(null);
  const [busy, setBusy] = useState(false);
  const smtp = transport === 'smtp';
  return (
    <form
      class="stack ru-mail-form"
      aria-label="Mail server"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setNote(null);
        try {
          const body: MailInput = {
            transport,
            from: from.trim(),
            ...(fromName.trim() ? { fromName: fromName.trim() } : {}),
            ...(smtp
              ? {
                  host: host.trim(),
                  security,
                  ...(port.trim() ? { port: Number(port) } : {}),
                  ...(username ? { username } : {}),
                  ...(password ? { password } : {}),
                }
              : {}),
          };
          const saved = await must(api.PUT('/api/mail', { body }));
          setPassword('');
          setNote({ kind: 'ok', text: 'Mail server saved.' });
          props.onSaved(saved);
        } catch (err) {
          setNote({ kind: 'error', text: errorText(err) });
        } finally {
          setBusy(false);
        }
      }}
    >
      <div class="ru-mail-grid">
        <Field label="Send through">
          {(id) => (
            <select id={id} value={transport} onChange={(e) => setTransport(e.currentTarget.value as Transport)}>
              <option value="smtp">An SMTP server</option>
              <option value="cloudflare">Cloudflare Email (EMAIL binding)</option>
            </select>
          )}
        </Field>
        <Field label="From address">
          {(id) => (
            <input
              id={id}
              type="email"
              dir="ltr"
              required
              autocomplete="off"
              placeholder="alerts@example.com"
              value={from}
              onInput={(e) => setFrom(e.currentTarget.value)}
            />
          )}
        </Field>
        <Field label="From name (optional)">
          {(id) => <input id={id} maxLength={100} placeholder="Switchboard" value={fromName} onInput={(e) => setFromName(e.currentTarget.value)} />}
        </Field>
      </div>
      {smtp && (
        <div class="ru-mail-grid">
          <Field label="Host">
            {(id) => (
              <input
                id={id}
                dir="ltr"
                required
                autocomplete="off"
                placeholder="smtp.example.com"
                value={host}
                onInput={(e) => setHost(e.currentTarget.value)}
              />
            )}
          </Field>
          <Field label="Security" hint="TLS: port 465; STARTTLS: port 587">
            {(id) => (
              <select id={id} value={security} onChange={(e) => setSecurity(e.currentTarget.value as Security)}>
                <option value="tls">TLS</option>
                <option value="starttls">STARTTLS</option>
                <option value="none">None (plain text, local tests)</option>
              </select>
            )}
          </Field>
          <Field label="Port" hint={`Empty: ${PORTS[security]}`}>
            {(id) => (
              <input
                id={id}
                type="number"
                min={1}
                max={65535}
                inputMode="numeric"
                placeholder={String(PORTS[security])}
                value={port}
                onInput={(e) => setPort(e.currentTarget.value)}
              />
            )}
          </Field>
        </div>
      )}
      {smtp && (
        <div class="ru-mail-grid">
          <Field label="Username (optional)" hint="Empty: no login">
            {(id) => <input id={id} dir="ltr" autocomplete="off" value={username} onInput={(e) => setUsername(e.currentTarget.value)} />}
          </Field>
          <Field label="Password" hint={s?.passwordSet ? 'Saved. Leave empty to keep it.' : 'Stored sealed; never shown again.'}>
            {(id) => (
              <input
                id={id}
                type="password"
                autocomplete="new-password"
                placeholder={s?.passwordSet ? '•••••••• (saved)' : ''}
                value={password}
                onInput={(e) => setPassword(e.currentTarget.value)}
              />
            )}
          </Field>
        </div>
      )}
      <div class="row">
        <button type="submit" disabled={busy}>
          Save mail server
        </button>
        {s && (
          <Confirmed
            class="ru-confirm"
            danger
            label="Forget mail server"
            question="Forget the mail server? Email actions then fail with NO_MAIL_SERVER."
            confirm="Forget it"
            run={async () => {
              await must(api.DELETE('/api/mail'));
              props.onForgotten();
            }}
          />
        )}
      </div>
      {note && <Notice kind={note.kind}>{note.text}</Notice>}
    </form>
  );
}

function TestMail() {
  const [to, setTo] = useState('');
  const [note, setNote] = useState<Note>(null);
  const [busy, setBusy] = useState(false);
  return (
    <form
      class="row ru-mail-test"
      aria-label="Send a test email"
      onSubmit={async (e) => {
        e.preventDefault();
        setBusy(true);
        setNote(null);
        try {
          const r = await must(api.POST('/api/mail/test', { body: { to: to.trim() } }));
          setNote(
            r.sent
              ? { kind: 'ok', text: `Sent to ${to.trim()}: the server took it.` }
              : { kind: 'error', text: `Not sent: ${r.error ?? 'the server refused it'}` },
          );
        } catch (err) {
          setNote({ kind: 'error', text: errorText(err) });
        } finally {
          setBusy(false);
        }
      }}
    >
      <Field label="Test address">
        {(id) => <input id={id} type="email" dir="ltr" required autocomplete="email" value={to} onInput={(e) => setTo(e.currentTarget.value)} />}
      </Field>
      <button type="submit" class="secondary" disabled={busy}>
        {busy ? 'Sending…' : 'Send test email'}
      </button>
      {note && <Notice kind={note.kind}>{note.text}</Notice>}
    </form>
  );
}

export function MailSection() {
  const mail = useAsync(loadMail, []);
  const [version, setVersion] = useState(0);
  const saved = mail.data ?? null;
  return (
    <Section
      title="Mail server"
      actions={saved ? <span class="status status-connected">Set</span> : mail.data === null ? <span class="status">Not set</span> : undefined}
    >
      <p class="muted dt-small">Email actions send through this server. Without one they fail with NO_MAIL_SERVER (the preview says so).</p>
      <Notice kind="error">{mail.error}</Notice>
      {mail.loading && mail.data === undefined && <p class="muted">Loading…</p>}
      {mail.data !== undefined && (
        <MailForm
          key={version}
          saved={saved}
          onSaved={() => mail.reload()}
          onForgotten={() => {
            setVersion((v) => v + 1);
            mail.reload();
          }}
        />
      )}
      {saved && <TestMail />}
    </Section>
  );
}
