// Numbers: the account's WhatsApp clients with their live status (the QR refreshes while pairing, the
// status turns as it changes: each client's live socket), adding one, its API key, webhook and signing
// secret, a test send, its send queue (send-queue.tsx), and deleting it with the password.
import { useEffect, useState } from 'preact/hooks';
import { api, must, type Schemas } from '../../api.ts';
import { Field, Notice, RevealKeys, Secret, Section, useAsync, errorText, type Note } from '../../components.tsx';
import { forgetRevealed, useRevealed } from '../../secrets.ts';
import { type LiveFrame, watchClient } from '../../live.ts';
import { SendQueue } from './send-queue.tsx';
import type { PageProps } from './types.ts';

type Client = Schemas['Client'];
type Live = { status: string | null; connectedNumber: string | null; qrPng: string | null; pairingCode: string | null };
type FirstLook = { qr: string | null; code: string | null };

const STATUS_WORDS: Record<string, string> = {
  pending_auth: 'Waiting for the QR scan',
  connected: 'Connected',
  disconnected: 'Disconnected',
  logged_out: 'Logged out',
};
const LABEL_STATUS: Record<string, string> = {
  'Pending Authentication': 'pending_auth',
  Authenticated: 'connected',
  Disconnected: 'disconnected',
  'Logged Out': 'logged_out',
};

/** Numbers watched live at once (one socket each); the rest show their status as of the page's load. */
export const LIVE_LIMIT = 20;

/** A client's status and QR as its live socket reports them (when `watch`). */
function useLive(clientId: string, initial: Live, watch: boolean): Live {
  const [live, setLive] = useState(initial);
  useEffect(() => {
    if (!watch) return;
    const handle = watchClient(clientId, (frame: LiveFrame) => {
      if (frame.type === 'hello' || frame.type === 'state') {
        setLive({
          status: frame.state.status,
          connectedNumber: frame.state.connectedNumber,
          qrPng: frame.state.qrPng,
          pairingCode: frame.state.pairingCode ?? null,
        });
      }
    });
    return () => handle.close();
  }, [clientId, watch]);
  return live;
}

function StatusBadge(props: { status: string | null }) {
  const s = props.status ?? 'disconnected';
  return <span class={`status status-${s}`}>{STATUS_WORDS[s] ?? s}</span>;
}

function Pairing(props: { client: Client; live: Live }) {
  const [note, setNote] = useState<Note>(null);
  if (props.live.status === 'connected') return null;
  const qr = props.live.qrPng;
  const code = props.live.pairingCode;
  return (
    <div class="pairing">
      {code ? (
        <div class="pairing-code">
          <p>On the phone: WhatsApp → Linked devices → Link a device → Link with phone number instead, and type</p>
          <output aria-label={`Pairing code for ${props.client.clientId}`}>
            {code.slice(0, 4)}-{code.slice(4)}
          </output>
        </div>
      ) : qr ? (
        <img
          class="qr"
          src={qr.startsWith('data:') ? qr : `data:image/png;base64,${qr}`}
          alt={`QR code to link ${props.client.clientId}: scan it in WhatsApp → Linked devices`}
          width={220}
          height={220}
        />
      ) : (
        <p class="muted">No QR code right now. {props.live.status === 'logged_out' ? 'Ask for a new one.' : ''}</p>
      )}
      <div class="row">
        <button
          type="button"
          class="secondary small"
          onClick={async () => {
            setNote(null);
            try {
              await must(api.GET('/api/qr/{clientId}', { params: { path: { clientId: props.client.clientId } }, parseAs: 'blob' }));
              setNote({ kind: 'ok', text: 'A new QR code was asked for.' });
            } catch (err) {
              setNote({ kind: 'error', text: errorText(err) });
            }
          }}
        >
          New QR code
        </button>
        <button
          type="button"
          class="secondary small"
          title="With the sandbox transport: the simulated phone scans the QR code or types the pairing code"
          onClick={async () => {
            setNote(null);
            const path = { clientId: props.client.clientId };
            try {
              if (code) await must(api.POST('/api/sandbox/{clientId}/pair', { params: { path }, body: { code } }));
              else await must(api.POST('/api/sandbox/{clientId}/scan', { params: { path } }));
            } catch (err) {
              setNote({ kind: 'error', text: errorText(err) });
            }
          }}
        >
          {code ? 'Type it on the sandbox phone' : 'Scan with the sandbox phone'}
        </button>
      </div>
      {note && <Notice kind={note.kind}>{note.text}</Notice>}
    </div>
  );
}

function WebhookForm(props: { client: Client; secret: string | null; onSaved: () => void }) {
  const [url, setUrl] = useState(props.client.webhookUrl ?? '');
  const [note, setNote] = useState<Note>(null);
  const save = async (rotateSecret: boolean) => {
    setNote(null);
    try {
      await must(
        api.POST('/api/update-webhook', {
          body: { clientId: props.client.clientId, webhookUrl: url.trim() || null, ...(rotateSecret ? { rotateSecret } : {}) },
        }),
      );
      setNote({ kind: 'ok', text: rotateSecret ? 'A new signing secret was issued.' : url.trim() ? 'Webhook saved.' : 'Webhook removed.' });
      // the signing secret may be new: shown again after the password
      if (rotateSecret || !props.client.webhookUrl) forgetRevealed();
      props.onSaved();
    } catch (err) {
      setNote({ kind: 'error', text: errorText(err) });
    }
  };
  return (
    <form
      class="stack"
      onSubmit={(e) => {
        e.preventDefault();
        void save(false);
      }}
    >
      <Field label="Webhook URL" hint="Every event of this number is POSTed here, signed.">
        {(id) => <input id={id} type="url" placeholder="https://example.com/webhook" value={url} onInput={(e) => setUrl(e.currentTarget.value)} />}
      </Field>
      {props.secret && <Secret label="Signing secret" value={props.secret} />}
      <div class="row">
        <button type="submit" class="small">
          Save webhook
        </button>
        {props.client.webhookUrl && (
          <button type="button" class="secondary small" onClick={() => void save(true)}>
            Rotate secret
          </button>
        )}
      </div>
      {note && <Notice kind={note.kind}>{note.text}</Notice>}
    </form>
  );
}

function TestSend(props: { client: Client }) {
  const [number, setNumber] = useState('');
  const [message, setMessage] = useState('Hello from Switchboard');
  const [note, setNote] = useState<Note>(null);
  return (
    <form
      class="stack"
      onSubmit={async (e) => {
        e.preventDefault();
        setNote(null);
        try {
          const sent = await must(api.POST('/api/send-message', { body: { clientId: props.client.clientId, number, message, wait: 15 } }));
          setNote({ kind: 'ok', text: `Message ${sent.messageId} is ${sent.status}.` });
        } catch (err) {
          setNote({ kind: 'error', text: errorText(err) });
        }
      }}
    >
      <div class="grid2">
        <Field label="To number">
          {(id) => <input id={id} inputMode="tel" placeholder="+15550000001" required value={number} onInput={(e) => setNumber(e.currentTarget.value)} />}
        </Field>
        <Field label="Test message">{(id) => <input id={id} required value={message} onInput={(e) => setMessage(e.currentTarget.value)} />}</Field>
      </div>
      <button type="submit" class="small">
        Send test message
      </button>
      {note && <Notice kind={note.kind}>{note.text}</Notice>}
    </form>
  );
}

function DeleteClient(props: { client: Client; onDeleted: () => void }) {
  const [open, setOpen] = useState(false);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  if (!open)
    return (
      <button type="button" class="danger small" onClick={() => setOpen(true)}>
        Delete {props.client.clientId}
      </button>
    );
  return (
    <form
      class="stack danger-zone"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(null);
        try {
          await must(api.DELETE('/clients/{clientId}', { params: { path: { clientId: props.client.clientId } }, body: { password } }));
          props.onDeleted();
        } catch (err) {
          setError(errorText(err));
        }
      }}
    >
      <p>Deleting logs the number out and erases its messages. Confirm with your password.</p>
      <Field label="Your password">
        {(id) => (
          <input id={id} type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        )}
      </Field>
      <Notice kind="error">{error}</Notice>
      <div class="row">
        <button type="submit" class="danger small">
          Delete permanently
        </button>
        <button type="button" class="secondary small" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function ClientCard(props: { client: Client; first?: FirstLook; watch: boolean; onChanged: () => void }) {
  const c = props.client;
  // a login's calls carry no keys: they come from POST /auth/reveal once the password is confirmed
  const revealed = useRevealed()?.clients.find((r) => r.clientId === c.clientId);
  const apiKey = c.apiKey ?? revealed?.apiKey ?? null;
  const [queueOpen, setQueueOpen] = useState(false);
  const secret = c.webhookSecret ?? revealed?.webhookSecret ?? null;
  const live = useLive(
    c.clientId,
    {
      status: LABEL_STATUS[c.status] ?? null,
      connectedNumber: c.connectedNumber === 'Not Connected' ? null : c.connectedNumber,
      qrPng: props.first?.qr ?? null,
      pairingCode: props.first?.code ?? null,
    },
    props.watch,
  );
  return (
    <article class="card client" aria-label={`Number ${c.clientId}`}>
      <header class="card-head">
        <h2>{c.clientId}</h2>
        <StatusBadge status={live.status} />
      </header>
      <p class="muted">
        Phone {c.phoneNumber}
        {live.connectedNumber ? ` · linked as ${live.connectedNumber.replace(/@c\.us$/, '')}` : ''}
      </p>
      <Pairing client={c} live={live} />
      <details>
        <summary>API key and webhook</summary>
        {apiKey ? <Secret label="Client API key" value={apiKey} /> : <RevealKeys />}
        <WebhookForm client={c} secret={secret} onSaved={props.onChanged} />
      </details>
      <details>
        <summary>Test send</summary>
        <TestSend client={c} />
      </details>
      <details onToggle={(e) => setQueueOpen(e.currentTarget.open)}>
        <summary>Send queue</summary>
        {queueOpen && <SendQueue clientId={c.clientId} />}
      </details>
      <div class="row end">
        <a class="button secondary small" href={`/chat#${encodeURIComponent(c.clientId)}`}>
          Open chat
        </a>
        <DeleteClient client={c} onDeleted={props.onChanged} />
      </div>
    </article>
  );
}

function AddNumber(props: { onAdded: (clientId: string, first: FirstLook) => void }) {
  const [clientId, setClientId] = useState('');
  const [phoneNumber, setPhoneNumber] = useState('');
  const [pairingMethod, setPairingMethod] = useState<'qr' | 'code'>('qr');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <Section title="Add number">
      <form
        class="grid3"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            const added = await must(api.POST('/api/add-number', { body: { clientId: clientId.trim(), phoneNumber: phoneNumber.trim(), pairingMethod } }));
            props.onAdded(clientId.trim(), { qr: added.qrCode, code: added.pairingCode });
            setClientId('');
            setPhoneNumber('');
          } catch (err) {
            setError(errorText(err));
          } finally {
            setBusy(false);
          }
        }}
      >
        <Field label="Client ID" hint="Letters, digits, _ or -">
          {(id) => <input id={id} required value={clientId} onInput={(e) => setClientId(e.currentTarget.value)} />}
        </Field>
        <Field label="Phone number" hint="With country code, e.g. 972501234567">
          {(id) => <input id={id} inputMode="tel" required value={phoneNumber} onInput={(e) => setPhoneNumber(e.currentTarget.value)} />}
        </Field>
        <Field label="Pair with">
          {(id) => (
            <select id={id} value={pairingMethod} onChange={(e) => setPairingMethod(e.currentTarget.value === 'code' ? 'code' : 'qr')}>
              <option value="qr">QR code</option>
              <option value="code">Code typed on the phone</option>
            </select>
          )}
        </Field>
        <div class="field">
          <button type="submit" disabled={busy}>
            Add
          </button>
        </div>
      </form>
      <Notice kind="error">{error}</Notice>
    </Section>
  );
}

export function NumbersPage(_props: PageProps) {
  const clients = useAsync(() => must(api.GET('/api/clients')), []);
  const [first, setFirst] = useState<Record<string, FirstLook>>({});
  const [added, setAdded] = useState<string | null>(null);
  return (
    <div class="stack">
      <AddNumber
        onAdded={(clientId, look) => {
          setFirst((q) => ({ ...q, [clientId]: look }));
          setAdded(clientId);
          clients.reload();
        }}
      />
      {added && <Notice kind="ok">{added} was added: link it from the phone, in WhatsApp → Linked devices.</Notice>}
      <Notice kind="error">{clients.error}</Notice>
      {(clients.data?.length ?? 0) > LIVE_LIMIT && (
        <Notice kind="info">The first {LIVE_LIMIT} numbers update live; reload the page to see the others’ status.</Notice>
      )}
      {clients.data?.length === 0 && <p class="muted">No numbers yet. Add one above.</p>}
      <div class="cards">
        {clients.data?.map((c, i) => (
          <ClientCard key={c.clientId} client={c} first={first[c.clientId]} watch={i < LIVE_LIMIT} onChanged={clients.reload} />
        ))}
      </div>
    </div>
  );
}
