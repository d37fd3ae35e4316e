// Webhooks: an event monitor (the latest events, new ones appearing as they come, without a reload) and
// every delivery with its status, attempts and last error, filtered by event and status, a page at a time;
// a delivery that is not queued can be replayed. The monitor looks again every 2 s while the page is open
// and visible (slower when the API's rate limit is tight, see data/poll.ts), and at once when a number's
// live socket reports something (a message, an ack, a status change).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, must, sentence } from '../../api.ts';
import { Field, Notice, Pager, Section, useAsync, errorText, type Note } from '../../components.tsx';
import { watchClient } from '../../live.ts';
import { type Delivery, deliveryState, EVENTS, eventLabel, STATUS_FILTERS } from './data/events.ts';
import { usePaged, withCursor } from './data/paging.ts';
import { FASTEST_MS, pollDelay } from './data/poll.ts';
import { EmptyRow, Pill, Stamp } from './data/ui.tsx';
import type { PageProps } from './types.ts';

/** events in the monitor */
const FEED = 10;
/** deliveries a page */
const LIMIT = 20;
/** live sockets opened at most (one per number) */
const MAX_SOCKETS = 10;

const endpointWords = (d: Delivery) => (d.endpoint.kind === 'device' ? `device ${d.endpoint.id}` : d.endpoint.id);
const clock = (at: string) => new Date(at).toLocaleTimeString();

/** The latest events; `onChange` is told when the list changed (new events, or a status moved). */
function EventMonitor(props: { clientIds: string[]; onChange: () => void }) {
  const [events, setEvents] = useState<Delivery[] | null>(null);
  const [fresh, setFresh] = useState<ReadonlySet<string>>(new Set());
  const [error, setError] = useState<string | null>(null);
  const [paused, setPaused] = useState(false);
  const [announce, setAnnounce] = useState('');
  const [every, setEvery] = useState(FASTEST_MS);
  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;
  const seen = useRef<{ ids: Set<string> | null; sig: string }>({ ids: null, sig: '' });
  const sockets = props.clientIds.slice(0, MAX_SOCKETS).join(',');

  useEffect(() => {
    if (paused) return;
    let stopped = false;
    let timer: number | undefined;
    let busy = false;
    let lastLook = 0;
    let delay = FASTEST_MS;
    const schedule = (ms: number) => {
      window.clearTimeout(timer);
      if (!stopped) timer = window.setTimeout(look, ms);
    };
    const receive = (list: Delivery[]) => {
      const s = seen.current;
      const added: Delivery[] = [];
      if (!s.ids) s.ids = new Set(list.map((d) => d.id));
      else
        for (const d of list)
          if (!s.ids.has(d.id)) {
            s.ids.add(d.id);
            added.push(d);
          }
      if (added.length) {
        setFresh((f) => new Set([...f, ...added.map((d) => d.id)]));
        setAnnounce(`${added.length === 1 ? 'New event' : `${added.length} new events`}: ${added.map((d) => eventLabel(d.event)).join(', ')}`);
      }
      setEvents(list);
      const sig = list.map((d) => `${d.id}:${d.status}:${d.attempts}`).join(',');
      if (s.sig && sig !== s.sig) onChange.current();
      s.sig = sig;
    };
    const look = async () => {
      if (stopped || busy) return;
      if (document.hidden) return; // looks again when the page is shown
      busy = true;
      lastLook = Date.now();
      try {
        const { data, error: failed, response } = await api.GET('/api/webhook-deliveries', { params: { query: { limit: FEED } } });
        delay = pollDelay(response.headers, response.status);
        if (failed !== undefined || !response.ok || !data) throw new Error(sentence(failed, `The server answered ${response.status}.`));
        receive(data.deliveries);
        setError(null);
      } catch (err) {
        setError(errorText(err));
      } finally {
        busy = false;
        setEvery(delay);
        schedule(delay);
      }
    };
    // something happened on a number: look soon (not more often than every 2 s, or half the pace the limit allows)
    const nudge = () => schedule(Math.max(700, lastLook + Math.max(FASTEST_MS, delay / 2) - Date.now()));
    const live = sockets
      ? sockets.split(',').map((clientId) =>
          watchClient(clientId, (frame) => {
            if (frame.type !== 'hello') nudge();
          }),
        )
      : [];
    const onVisible = () => {
      if (!document.hidden) schedule(0);
    };
    document.addEventListener('visibilitychange', onVisible);
    schedule(0);
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
      for (const s of live) s.close();
    };
  }, [paused, sockets]);

  return (
    <Section
      title="Event monitor"
      actions={
        <div class="row dt-actions">
          <span class={`dt-live${paused ? ' dt-live-off' : ''}`}>{paused ? 'Paused' : `Live · every ${Math.round(every / 1000)} s`}</span>
          <button type="button" class="secondary small" aria-pressed={paused} onClick={() => setPaused(!paused)}>
            {paused ? 'Resume' : 'Pause'}
          </button>
        </div>
      }
    >
      <p class="sr-only" role="status" aria-live="polite">
        {announce}
      </p>
      <Notice kind="error">{error}</Notice>
      {events === null && !error && <p class="muted">Looking for events…</p>}
      {events?.length === 0 && <p class="muted">No events yet. They appear here as they happen, for every number with a webhook URL.</p>}
      {events && events.length > 0 && (
        <ol class="dt-feed" aria-label="Latest events, newest first">
          {events.map((d) => {
            const [word, tone] = deliveryState(d);
            const isNew = fresh.has(d.id);
            return (
              <li key={d.id} class={`dt-event${isNew ? ' dt-event-new' : ''}`} data-event={d.event}>
                <time class="dt-event-time" dateTime={d.createdAt}>
                  {clock(d.createdAt)}
                </time>
                <span class="dt-event-name">
                  {eventLabel(d.event)}
                  <span class="dt-event-meta">
                    <code>{d.event}</code> · {endpointWords(d)}
                  </span>{' '}
                  {isNew && <span class="badge">New</span>}
                </span>
                <Pill tone={tone}>{word}</Pill>
              </li>
            );
          })}
        </ol>
      )}
    </Section>
  );
}

function DeliveryRow(props: { d: Delivery; replayed: boolean; onReplay: (d: Delivery) => void; busy: boolean }) {
  const d = props.d;
  const [word, tone] = deliveryState(d, props.replayed);
  return (
    <tr class="dt-delivery" data-id={d.id}>
      <td data-label="Event">
        <span class="dt-strong">{eventLabel(d.event)}</span>
        <small class="dt-sub">
          <Stamp at={d.createdAt} />
        </small>
      </td>
      <td data-label="Number" class="dt-nowrap">
        {endpointWords(d)}
      </td>
      <td data-label="Status">
        <Pill tone={tone}>{word}</Pill>
        {d.status === 'pending' && d.nextAttemptAt && d.attempts > 0 && (
          <small class="dt-sub">
            next try <Stamp at={d.nextAttemptAt} />
          </small>
        )}
        {d.status === 'delivered' && d.deliveredAt && (
          <small class="dt-sub">
            <Stamp at={d.deliveredAt} />
          </small>
        )}
      </td>
      <td data-label="Attempts" class="dt-num">
        {d.attempts}
      </td>
      <td data-label="Last error" class="dt-msg">
        {d.lastError ? <span class="dt-error">{d.lastError}</span> : <span class="muted">—</span>}
      </td>
      <td class="dt-act">
        {d.status !== 'pending' && (
          <button
            type="button"
            class="secondary small"
            disabled={props.busy}
            aria-label={`Replay ${d.event} delivery ${d.id}`}
            onClick={() => props.onReplay(d)}
          >
            Replay
          </button>
        )}
      </td>
    </tr>
  );
}

function Deliveries(props: { version: number }) {
  const [event, setEvent] = useState('');
  const [status, setStatus] = useState<Delivery['status'] | ''>('');
  const [note, setNote] = useState<Note>(null);
  const [replayed, setReplayed] = useState<ReadonlySet<string>>(new Set());
  const [overrides, setOverrides] = useState<Record<string, Delivery>>({});
  const [busy, setBusy] = useState<string | null>(null);
  const paged = usePaged(
    async (cursor) => {
      const page = await withCursor(
        api.GET('/api/webhook-deliveries', {
          params: { query: { limit: LIMIT, ...(event ? { event } : {}), ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) } },
        }),
      );
      return { rows: page.data.deliveries, next: page.next };
    },
    [event, status],
  );
  // the monitor saw a change: the first page follows it (a later page stays where the person is)
  const { page, reload, rows } = paged;
  useEffect(() => {
    if (props.version > 0 && page === 1) reload();
  }, [props.version]);
  // rows read again from the API replace what a replay answered
  useEffect(() => setOverrides({}), [rows]);

  const replay = async (d: Delivery) => {
    setNote(null);
    setBusy(d.id);
    try {
      const done = await must(api.POST('/api/webhook-deliveries/{id}/replay', { params: { path: { id: d.id } } }));
      setReplayed((r) => new Set([...r, d.id]));
      setOverrides((o) => ({ ...o, [d.id]: done.delivery }));
      setNote({ kind: 'ok', text: `The ${eventLabel(d.event).toLowerCase()} event was queued again for ${endpointWords(d)}.` });
    } catch (err) {
      setNote({ kind: 'error', text: errorText(err) });
    } finally {
      setBusy(null);
    }
  };

  const shown = (rows ?? []).map((d) => overrides[d.id] ?? d);
  return (
    <Section
      title="Deliveries"
      actions={
        <button type="button" class="secondary small" onClick={paged.reload}>
          Refresh
        </button>
      }
    >
      <div class="grid2 dt-filters">
        <Field label="Event">
          {(id) => (
            <select id={id} value={event} onChange={(e) => setEvent(e.currentTarget.value)}>
              <option value="">All events</option>
              {EVENTS.map((e) => (
                <option key={e.name} value={e.name}>
                  {e.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Status">
          {(id) => (
            <select id={id} value={status} onChange={(e) => setStatus(e.currentTarget.value as Delivery['status'] | '')}>
              {STATUS_FILTERS.map((s) => (
                <option key={s.value} value={s.value}>
                  {s.label}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <p class="muted dt-small">
        A queued delivery is retried on its own; one that failed for good (or was delivered) can be replayed, with the same webhook-id.
      </p>
      <Notice kind="error">{paged.error}</Notice>
      {note && <Notice kind={note.kind}>{note.text}</Notice>}
      <div class="table-wrap">
        <table class="dt-table">
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Number</th>
              <th scope="col">Status</th>
              <th scope="col" class="dt-num">
                Attempts
              </th>
              <th scope="col">Last error</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {shown.map((d) => (
              <DeliveryRow key={d.id} d={d} replayed={replayed.has(d.id)} busy={busy === d.id} onReplay={(x) => void replay(x)} />
            ))}
            {rows && shown.length === 0 && <EmptyRow cols={6}>{event || status ? 'No deliveries match.' : 'No deliveries yet.'}</EmptyRow>}
          </tbody>
        </table>
      </div>
      <Pager page={paged.page} hasNext={paged.hasNext} onNext={paged.next} onFirst={paged.first} />
    </Section>
  );
}

export function WebhooksPage(_props: PageProps) {
  const clients = useAsync(() => must(api.GET('/api/clients')), []);
  const [version, setVersion] = useState(0);
  const withHook = clients.data?.filter((c) => c.webhookUrl) ?? [];
  return (
    <div class="stack">
      <p class="muted dt-lead">
        Every event of a number with a webhook URL is POSTed to that URL, signed, and retried until it is taken (5 s, 5 min, 30 min, … up to 8 attempts). Set
        the URLs on the <a href="#/numbers">Numbers</a> page.
      </p>
      {clients.data && withHook.length === 0 && <Notice kind="info">No number has a webhook URL yet, so no events are delivered.</Notice>}
      {(clients.data || clients.error) && <EventMonitor clientIds={withHook.map((c) => c.clientId)} onChange={() => setVersion((v) => v + 1)} />}
      <Notice kind="error">{clients.error}</Notice>
      <Deliveries version={version} />
    </div>
  );
}
