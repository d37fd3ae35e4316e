// The left pane's head: the way back to the dashboard, the client picker, and how the client and its live
// connection stand.
import type { Schemas } from '../api.ts';
import type { Feed } from './feed.ts';

const STATUS_WORDS: Record<string, string> = {
  connected: 'Connected',
  pending_auth: 'Not paired yet: scan its QR code on the Dashboard',
  disconnected: 'Disconnected',
  logged_out: 'Logged out: pair it again on the Dashboard',
};

function Status(props: { feed: Feed }) {
  const { open, state } = props.feed;
  if (open === false)
    return (
      <p class="side-status side-status-off" role="status">
        Reconnecting…
      </p>
    );
  if (!state) return <p class="side-status">Connecting…</p>;
  const status = state.status ?? 'disconnected';
  const number = state.connectedNumber?.replace(/@.*$/, '');
  return (
    <p class={`side-status side-status-${status}`} role="status">
      {STATUS_WORDS[status] ?? status}
      {status === 'connected' && number ? ` as +${number}` : ''}
    </p>
  );
}

export function SideHead(props: { clients: Schemas['Client'][] | undefined; clientId: string | null; onClient: (id: string) => void; feed: Feed }) {
  return (
    <header class="side-head">
      <div class="side-top">
        <span class="side-brand">Switchboard chat</span>
        <a class="button secondary small" href="/">
          Dashboard
        </a>
      </div>
      <div class="side-client">
        <label for="chat-client">Client</label>
        <select id="chat-client" value={props.clientId ?? ''} disabled={!props.clients?.length} onChange={(e) => props.onClient(e.currentTarget.value)}>
          {!props.clientId && <option value="">{props.clients ? 'No numbers yet' : 'Loading…'}</option>}
          {props.clients?.map((c) => (
            <option key={c.clientId} value={c.clientId}>
              {c.clientId} · +{c.phoneNumber}
            </option>
          ))}
        </select>
      </div>
      {props.clientId && <Status feed={props.feed} />}
    </header>
  );
}
