// Account: who you are, your account API key (revealed and copied on demand) and its reset, and for
// admins a form to create users (their API key is shown once, on creation).
import { useState } from 'preact/hooks';
import { api, must, type Schemas } from '../../api.ts';
import { CopyButton, Field, Notice, RevealKeys, Section, Secret, useAsync, errorText, type Note } from '../../components.tsx';
import { updateRevealed, useRevealed } from '../../secrets.ts';
import { Bridges } from './admin/bridges.tsx';
import type { PageProps } from './types.ts';

type Profile = Schemas['Profile'];
type CreatedUser = Schemas['CreatedUser'];

const limitWords = (max: number | null) => (max === null ? 'unlimited' : String(max));

function ProfileFacts(props: { profile: Profile }) {
  const p = props.profile;
  return (
    <Section title="Profile">
      <dl class="adm-facts">
        <dt>Username</dt>
        <dd class="acct-username">{p.username}</dd>
        <dt>Role</dt>
        <dd>
          <span class="badge acct-role">{p.role}</span>
        </dd>
        <dt>Numbers</dt>
        <dd>
          {p.clientCount} of {limitWords(p.maxClients)}
        </dd>
      </dl>
    </Section>
  );
}

function ApiKey(props: { profile: Profile }) {
  // a login's profile carries no key: it is shown once the password is confirmed (POST /auth/reveal)
  const apiKey = useRevealed()?.apiKey ?? props.profile.apiKey;
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState<Note>(null);
  return (
    <Section title="Account API key">
      <p class="muted acct-lead">
        Send it as the <code>x-api-key</code> header: it works for every number of your account. Keep it secret.
      </p>
      {apiKey ? <Secret key={apiKey} label="API key" value={apiKey} /> : <RevealKeys what="Your API key" />}
      {!apiKey ? null : confirming ? (
        <div class="stack danger-zone">
          <p>Reset the account API key? Anything using the current key stops working at once.</p>
          <div class="row">
            <button
              type="button"
              class="danger small"
              disabled={busy}
              onClick={async () => {
                setBusy(true);
                setNote(null);
                try {
                  const reset = await must(api.POST('/api/reset-api-key', { body: { username: props.profile.username, currentApiKey: apiKey } }));
                  updateRevealed((r) => ({ ...r, apiKey: reset.newApiKey }));
                  setConfirming(false);
                  setNote({ kind: 'ok', text: 'A new API key was issued; the old one no longer works. Reveal or copy it above.' });
                } catch (err) {
                  setNote({ kind: 'error', text: errorText(err) });
                } finally {
                  setBusy(false);
                }
              }}
            >
              Reset now
            </button>
            <button type="button" class="secondary small" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </div>
      ) : (
        <div class="row">
          <button
            type="button"
            class="secondary small"
            onClick={() => {
              setNote(null);
              setConfirming(true);
            }}
          >
            Reset API key
          </button>
        </div>
      )}
      {note && <Notice kind={note.kind}>{note.text}</Notice>}
    </Section>
  );
}

function CreateUser() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<'user' | 'admin'>('user');
  const [maxClients, setMaxClients] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<CreatedUser | null>(null);
  return (
    <Section title="Create a user">
      <form
        class="stack"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          setCreated(null);
          try {
            const made = await must(
              api.POST('/api/admin/users', {
                body: { username: username.trim(), password, role, ...(maxClients.trim() === '' ? {} : { maxClients: Number(maxClients) }) },
              }),
            );
            setCreated(made);
            setUsername('');
            setPassword('');
            setRole('user');
            setMaxClients('');
          } catch (err) {
            setError(errorText(err));
          } finally {
            setBusy(false);
          }
        }}
      >
        <div class="grid2">
          <Field label="New username" hint="3–64 letters, digits, _ . @ or -">
            {(id) => (
              <input
                id={id}
                required
                autocomplete="off"
                pattern="[A-Za-z0-9_.@\-]{3,64}"
                value={username}
                onInput={(e) => setUsername(e.currentTarget.value)}
              />
            )}
          </Field>
          <Field label="New user's password" hint="At least 8 characters">
            {(id) => (
              <input
                id={id}
                type="password"
                required
                minLength={8}
                maxLength={256}
                autocomplete="new-password"
                value={password}
                onInput={(e) => setPassword(e.currentTarget.value)}
              />
            )}
          </Field>
          <Field label="Role">
            {(id) => (
              <select id={id} value={role} onChange={(e) => setRole(e.currentTarget.value as 'user' | 'admin')}>
                <option value="user">User</option>
                <option value="admin">Admin</option>
              </select>
            )}
          </Field>
          <Field label="Number limit (optional)" hint="Empty: 5 for users, unlimited for admins">
            {(id) => (
              <input id={id} type="number" min={0} max={100000} inputMode="numeric" value={maxClients} onInput={(e) => setMaxClients(e.currentTarget.value)} />
            )}
          </Field>
        </div>
        <div class="row">
          <button type="submit" disabled={busy}>
            Create user
          </button>
        </div>
        <Notice kind="error">{error}</Notice>
      </form>
      {created && (
        <div class="stack acct-created" role="status">
          <p class="notice notice-ok">
            {created.username} was created ({created.role}, up to {limitWords(created.maxClients)} numbers). Their API key is shown only now: copy it and hand
            it over with the password.
          </p>
          <div class="adm-copyline">
            <span class="secret-label">API key of {created.username}</span>
            <code class="acct-new-key">{created.apiKey}</code>
            <CopyButton text={created.apiKey} label="Copy key" />
          </div>
        </div>
      )}
    </Section>
  );
}

export function AccountPage(props: PageProps) {
  const profile = useAsync(() => must(api.GET('/api/profile')), []);
  return (
    <div class="stack">
      <Notice kind="error">{profile.error}</Notice>
      {profile.data && (
        <div class="acct-grid">
          <ProfileFacts profile={profile.data} />
          <ApiKey key={profile.data.username} profile={profile.data} />
        </div>
      )}
      {props.me.role === 'admin' && <CreateUser />}
      {props.me.role === 'admin' && <Bridges />}
    </div>
  );
}
