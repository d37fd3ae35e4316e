// Messages: what a number sent and received and the calls it turned away, newest first, a page at a time
// (the API's cursors), for one number or all of them. Message bodies keep their own direction (dir="auto":
// Hebrew and Arabic read right to left). The tab and the number are kept in the address.
import { useEffect, useState } from 'preact/hooks';
import { api, must, type Schemas } from '../../api.ts';
import { Notice, Pager, useAsync } from '../../components.tsx';
import { type Page, type Paged, usePaged, withCursor } from './data/paging.ts';
import { ClientSelect, EmptyRow, hashParams, Pill, phone, setHashParams, Stamp, Tabs, type Tone } from './data/ui.tsx';
import type { PageProps } from './types.ts';

type Sent = Schemas['SentMessage'];
type Call = Schemas['IncomingCall'];
type Received = Awaited<ReturnType<typeof loadReceived>>['rows'][number];

type Tab = 'sent' | 'received' | 'calls';
const TABS: { key: Tab; label: string }[] = [
  { key: 'sent', label: 'Sent' },
  { key: 'received', label: 'Received' },
  { key: 'calls', label: 'Calls' },
];
/** the "All numbers" choice of the client select */
const ALL = '*';
/** rows a page */
const LIMIT = 20;
/** API pages read at most to fill one page of one number's sent messages (the list is of all numbers) */
const MAX_WALK = 10;

const SENT_WORDS: Record<string, [string, Tone]> = {
  sent: ['Sent', 'info'],
  delivered: ['Delivered', 'ok'],
  read: ['Read', 'ok'],
  played: ['Played', 'ok'],
  failed: ['Failed', 'bad'],
  cancelled: ['Cancelled', 'muted'],
};

/**
 * A page of sent messages. The API lists every number's together (it has no filter by number), so for one
 * number the page reads API pages on until it has a page of that number's messages (or MAX_WALK pages).
 */
async function loadSent(clientId: string, cursor: string | undefined): Promise<Page<Sent>> {
  const rows: Sent[] = [];
  let next = cursor;
  for (let walked = 0; walked < MAX_WALK; walked++) {
    const page = await withCursor(api.GET('/api/sent-messages', { params: { query: { limit: LIMIT, ...(next ? { cursor: next } : {}) } } }));
    rows.push(...(clientId === ALL ? page.data : page.data.filter((m) => m.clientId === clientId)));
    next = page.next ?? undefined;
    if (!next || rows.length >= LIMIT) break;
  }
  return { rows, next: next ?? null };
}

async function loadReceived(clientId: string, cursor: string | undefined) {
  const page = await withCursor(
    api.GET('/api/received-messages/{clientId}', { params: { path: { clientId }, query: { limit: LIMIT, ...(cursor ? { cursor } : {}) } } }),
  );
  return { rows: page.data.messages, next: page.next };
}

async function loadCalls(clientId: string, cursor: string | undefined): Promise<Page<Call>> {
  const query = { limit: LIMIT, ...(cursor ? { cursor } : {}) };
  const page = await withCursor(
    clientId === ALL ? api.GET('/api/call-logs', { params: { query } }) : api.GET('/api/incoming-calls/{clientId}', { params: { path: { clientId }, query } }),
  );
  return { rows: page.data.calls, next: page.next };
}

/** The line above a list: what it is, and a button to look again. */
function ListHead(props: { title: string; paged: Paged<unknown> }) {
  const p = props.paged;
  return (
    <div class="dt-listhead">
      <h2 class="dt-h">{props.title}</h2>
      <span class="muted dt-small" aria-live="polite">
        {p.loading ? 'Loading…' : `Page ${p.page} · newest first`}
      </span>
      <button type="button" class="secondary small" onClick={p.reload}>
        Refresh
      </button>
    </div>
  );
}

function Body(props: { text: string; mediaUrl?: string | null }) {
  return (
    <>
      {props.text ? (
        <p class="dt-body" dir="auto">
          {props.text}
        </p>
      ) : (
        !props.mediaUrl && <p class="dt-body muted">(no text)</p>
      )}
      {props.mediaUrl && (
        <a class="dt-media" href={props.mediaUrl} target="_blank" rel="noopener noreferrer">
          Attachment: {props.mediaUrl.replace(/^https?:\/\//, '').slice(0, 60)}
        </a>
      )}
    </>
  );
}

function SentList(props: { clientId: string }) {
  const all = props.clientId === ALL;
  const paged = usePaged((cursor) => loadSent(props.clientId, cursor), [props.clientId]);
  const rows = paged.rows ?? [];
  const cols = all ? 5 : 4;
  return (
    <>
      <ListHead title={all ? 'Sent by all numbers' : `Sent by ${props.clientId}`} paged={paged} />
      <Notice kind="error">{paged.error}</Notice>
      <div class="table-wrap">
        <table class="dt-table">
          <thead>
            <tr>
              <th scope="col">Sent</th>
              {all && <th scope="col">Number</th>}
              <th scope="col">To</th>
              <th scope="col">Message</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((m) => {
              const [word, tone] = SENT_WORDS[m.status] ?? [m.status, 'muted'];
              return (
                <tr key={m.id} class="dt-sent">
                  <td data-label="Sent" class="dt-nowrap">
                    <Stamp at={m.sentAt} />
                  </td>
                  {all && (
                    <td data-label="Number" class="dt-nowrap">
                      {m.clientId}
                    </td>
                  )}
                  <td data-label="To" class="dt-nowrap">
                    {phone(m.recipient)}
                  </td>
                  <td data-label="Message" class="dt-msg">
                    <Body text={m.message} mediaUrl={m.mediaUrl} />
                    {m.error && <small class="dt-error">{m.error}</small>}
                  </td>
                  <td data-label="Status">
                    <Pill tone={tone}>{word}</Pill>
                  </td>
                </tr>
              );
            })}
            {paged.rows && rows.length === 0 && <EmptyRow cols={cols}>{paged.page > 1 ? 'No more sent messages.' : 'Nothing sent yet.'}</EmptyRow>}
          </tbody>
        </table>
      </div>
      <Pager page={paged.page} hasNext={paged.hasNext} onNext={paged.next} onFirst={paged.first} />
    </>
  );
}

function ReceivedList(props: { clientId: string }) {
  const paged = usePaged<Received>((cursor) => loadReceived(props.clientId, cursor), [props.clientId]);
  const rows = paged.rows ?? [];
  return (
    <>
      <ListHead title={`Received by ${props.clientId}`} paged={paged} />
      <Notice kind="error">{paged.error}</Notice>
      <div class="table-wrap">
        <table class="dt-table">
          <thead>
            <tr>
              <th scope="col">Received</th>
              <th scope="col">From</th>
              <th scope="col">Message</th>
              <th scope="col">Type</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((m) => (
              <tr key={m.id} class="dt-received">
                <td data-label="Received" class="dt-nowrap">
                  <Stamp at={m.received_at} />
                </td>
                <td data-label="From" class="dt-nowrap">
                  {phone(m.sender)}
                  {m.group_id && <small class="dt-sub">in group {m.group_id.replace(/@g\.us$/, '')}</small>}
                </td>
                <td data-label="Message" class="dt-msg">
                  <Body text={m.message} />
                </td>
                <td data-label="Type" class="dt-nowrap">
                  {m.type === 'chat' ? 'Text' : m.type}
                </td>
              </tr>
            ))}
            {paged.rows && rows.length === 0 && <EmptyRow cols={4}>{paged.page > 1 ? 'No more received messages.' : 'Nothing received yet.'}</EmptyRow>}
          </tbody>
        </table>
      </div>
      <Pager page={paged.page} hasNext={paged.hasNext} onNext={paged.next} onFirst={paged.first} />
    </>
  );
}

function CallList(props: { clientId: string }) {
  const all = props.clientId === ALL;
  const paged = usePaged((cursor) => loadCalls(props.clientId, cursor), [props.clientId]);
  const rows = paged.rows ?? [];
  const cols = all ? 5 : 4;
  return (
    <>
      <ListHead title={all ? 'Call log of all numbers' : `Calls to ${props.clientId}`} paged={paged} />
      <p class="muted dt-small">Incoming calls are rejected at once, and the caller is sent a short reply.</p>
      <Notice kind="error">{paged.error}</Notice>
      <div class="table-wrap">
        <table class="dt-table">
          <thead>
            <tr>
              <th scope="col">Time</th>
              {all && <th scope="col">Number</th>}
              <th scope="col">From</th>
              <th scope="col">Kind</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => (
              <tr key={c.id} class="dt-call">
                <td data-label="Time" class="dt-nowrap">
                  <Stamp at={c.start_time} />
                </td>
                {all && (
                  <td data-label="Number" class="dt-nowrap">
                    {c.client_id}
                  </td>
                )}
                <td data-label="From" class="dt-nowrap">
                  {phone(c.call_from)}
                </td>
                <td data-label="Kind">{c.is_video ? 'Video call' : 'Voice call'}</td>
                <td data-label="Outcome">
                  <Pill tone="muted">Rejected</Pill>
                  {c.duration !== null && <small class="dt-sub">{Math.round(c.duration)} s</small>}
                </td>
              </tr>
            ))}
            {paged.rows && rows.length === 0 && <EmptyRow cols={cols}>{paged.page > 1 ? 'No more calls.' : 'No calls yet.'}</EmptyRow>}
          </tbody>
        </table>
      </div>
      <Pager page={paged.page} hasNext={paged.hasNext} onNext={paged.next} onFirst={paged.first} />
    </>
  );
}

export function MessagesPage(_props: PageProps) {
  const clients = useAsync(() => must(api.GET('/api/clients')), []);
  const [tab, setTab] = useState<Tab>(() => {
    const t = hashParams().get('tab');
    return TABS.some((x) => x.key === t) ? (t as Tab) : 'sent';
  });
  const [chosen, setChosen] = useState<string | null>(() => hashParams().get('client'));
  const list = clients.data ?? [];
  // the number asked for (if it is one of ours), else the first
  const clientId = chosen === ALL || list.some((c) => c.clientId === chosen) ? chosen! : (list[0]?.clientId ?? ALL);
  useEffect(() => {
    if (clients.data) setHashParams({ tab: tab === 'sent' ? null : tab, client: clientId });
  }, [tab, clientId, clients.data]);

  if (clients.error) return <Notice kind="error">{clients.error}</Notice>;
  if (!clients.data) return <p class="muted">Loading…</p>;
  if (list.length === 0)
    return (
      <p class="muted">
        No numbers yet. <a href="#/numbers">Add one on the Numbers page</a>: its messages and calls show here.
      </p>
    );
  return (
    <div class="stack">
      <section class="card dt-clientbar" aria-label="Number">
        <ClientSelect clients={list} value={clientId} onChange={setChosen} all={ALL} />
      </section>
      <section class="card">
        <Tabs label="History" tabs={TABS} value={tab} onChange={setTab} />
        <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} class="dt-panel">
          {tab === 'sent' && <SentList key={clientId} clientId={clientId} />}
          {tab === 'received' &&
            (clientId === ALL ? (
              <Notice kind="info">Received messages are listed one number at a time: choose it under Client.</Notice>
            ) : (
              <ReceivedList key={clientId} clientId={clientId} />
            ))}
          {tab === 'calls' && <CallList key={clientId} clientId={clientId} />}
        </div>
      </section>
    </div>
  );
}
