// Scheduling: a message sent later. The date and time are read as a wall-clock time in the chosen zone
// (Asia/Jerusalem unless changed) and sent to the API as the UTC instant they mean; the list shows each
// message's time back in that zone and in UTC, with its status, and cancels one not yet sent.
import { useState } from 'preact/hooks';
import { api, must, type Schemas } from '../../api.ts';
import { Field, Notice, Pager, Section, useAsync, errorText, type Note } from '../../components.tsx';
import { DEFAULT_ZONE, formatInZone, zonedToUtc } from '../../tz.ts';
import { usePaged, withCursor } from './data/paging.ts';
import { type Client, ClientSelect, EmptyRow, Pill, phone, Stamp, type Tone, ZoneField } from './data/ui.tsx';
import type { PageProps } from './types.ts';

type Scheduled = Schemas['ScheduledMessage'];
type Status = Scheduled['status'];

const LIMIT = 20;
const STATUS_WORDS: Record<Status, [string, Tone]> = {
  pending: ['Pending', 'info'],
  queued: ['Queued', 'info'],
  sending: ['Sending', 'warn'],
  sent: ['Sent', 'ok'],
  failed: ['Failed', 'bad'],
  cancelled: ['Cancelled', 'muted'],
};
const FILTERS: { value: Status | ''; label: string }[] = [
  { value: '', label: 'All' },
  ...(Object.keys(STATUS_WORDS) as Status[]).map((s) => ({ value: s, label: STATUS_WORDS[s][0] })),
];

const utcWords = (instant: number | string) => `${formatInZone(instant, 'UTC')} UTC`;

function ScheduleForm(props: { clients: Client[]; zone: string; onZone: (z: string) => void; onScheduled: () => void }) {
  const [clientId, setClientId] = useState(props.clients[0]?.clientId ?? '');
  const [number, setNumber] = useState('');
  const [message, setMessage] = useState('');
  const [local, setLocal] = useState('');
  const [note, setNote] = useState<Note>(null);
  const [busy, setBusy] = useState(false);
  const instant = local ? zonedToUtc(local, props.zone) : Number.NaN;
  const chosen = props.clients.some((c) => c.clientId === clientId) ? clientId : (props.clients[0]?.clientId ?? '');
  return (
    <form
      class="stack"
      onSubmit={async (e) => {
        e.preventDefault();
        setNote(null);
        if (Number.isNaN(instant)) {
          setNote({ kind: 'error', text: 'Choose the date and time to send at.' });
          return;
        }
        setBusy(true);
        try {
          const made = await must(
            api.POST('/api/schedule-message', {
              body: { clientId: chosen, number: number.trim(), message, scheduleTime: new Date(instant).toISOString() },
            }),
          );
          setNote({
            kind: 'ok',
            text: `Scheduled for ${formatInZone(made.scheduleTime, props.zone)} (${props.zone}), ${utcWords(made.scheduleTime)}, to ${phone(made.recipient)}.`,
          });
          setMessage('');
          props.onScheduled();
        } catch (err) {
          setNote({ kind: 'error', text: errorText(err) });
        } finally {
          setBusy(false);
        }
      }}
    >
      <div class="grid2">
        <ClientSelect clients={props.clients} value={chosen} onChange={setClientId} />
        <Field label="Number" hint="With country code, e.g. 972501234567">
          {(id) => <input id={id} inputMode="tel" autocomplete="off" required value={number} onInput={(e) => setNumber(e.currentTarget.value)} />}
        </Field>
      </div>
      <Field label="Message">
        {(id) => <textarea id={id} rows={3} dir="auto" required value={message} onInput={(e) => setMessage(e.currentTarget.value)} />}
      </Field>
      <div class="grid2">
        <ZoneField zone={props.zone} onZone={props.onZone} />
        <Field label="Send at" hint={Number.isNaN(instant) ? `Date and time in ${props.zone}` : `That is ${utcWords(instant)}`}>
          {(id) => <input id={id} type="datetime-local" required value={local} onInput={(e) => setLocal(e.currentTarget.value)} />}
        </Field>
      </div>
      <div class="row">
        <button type="submit" disabled={busy}>
          Schedule
        </button>
      </div>
      {note && <Notice kind={note.kind}>{note.text}</Notice>}
    </form>
  );
}

function ScheduledList(props: { zone: string; version: number }) {
  const [status, setStatus] = useState<Status | ''>('');
  const [note, setNote] = useState<Note>(null);
  const paged = usePaged(
    async (cursor) => {
      const page = await withCursor(
        api.GET('/api/scheduled-messages', { params: { query: { limit: LIMIT, ...(status ? { status } : {}), ...(cursor ? { cursor } : {}) } } }),
      );
      return { rows: page.data, next: page.next };
    },
    [status, props.version],
  );
  const rows = paged.rows ?? [];
  const cancel = async (m: Scheduled) => {
    setNote(null);
    try {
      await must(api.DELETE('/api/scheduled-messages/{id}', { params: { path: { id: m.id } } }));
      setNote({ kind: 'ok', text: `The message to ${phone(m.recipient)} at ${formatInZone(m.scheduleTime, props.zone)} was cancelled.` });
      paged.reload();
    } catch (err) {
      setNote({ kind: 'error', text: errorText(err) });
    }
  };
  return (
    <Section
      title="Scheduled messages"
      actions={
        <div class="row dt-actions">
          <Field label="Show">
            {(id) => (
              <select id={id} class="dt-narrow" value={status} onChange={(e) => setStatus(e.currentTarget.value as Status | '')}>
                {FILTERS.map((f) => (
                  <option key={f.value} value={f.value}>
                    {f.label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <button type="button" class="secondary small" onClick={paged.reload}>
            Refresh
          </button>
        </div>
      }
    >
      <p class="muted dt-small">Times in {props.zone} (change it under Time zone above), and in UTC. Latest first.</p>
      <Notice kind="error">{paged.error}</Notice>
      {note && <Notice kind={note.kind}>{note.text}</Notice>}
      <div class="table-wrap">
        <table class="dt-table">
          <thead>
            <tr>
              <th scope="col">Send at</th>
              <th scope="col">To</th>
              <th scope="col">Message</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((m) => {
              const [word, tone] = STATUS_WORDS[m.status] ?? [m.status, 'muted'];
              return (
                <tr key={m.id} class="dt-scheduled" data-id={m.id}>
                  <td data-label="Send at" class="dt-nowrap">
                    <time dateTime={m.scheduleTime} class="dt-zoned">
                      {formatInZone(m.scheduleTime, props.zone)}
                    </time>
                    <small class="dt-sub">{utcWords(m.scheduleTime)}</small>
                  </td>
                  <td data-label="To" class="dt-nowrap">
                    {phone(m.recipient)}
                    <small class="dt-sub">from {m.clientId}</small>
                  </td>
                  <td data-label="Message" class="dt-msg">
                    <p class="dt-body" dir="auto">
                      {m.message}
                    </p>
                  </td>
                  <td data-label="Status">
                    <Pill tone={tone}>{word}</Pill>
                    {m.sentTime && (
                      <small class="dt-sub">
                        at <Stamp at={m.sentTime} />
                      </small>
                    )}
                    {m.failureReason && <small class="dt-error">{m.failureReason}</small>}
                  </td>
                  <td class="dt-act">
                    {(m.status === 'pending' || m.status === 'queued') && (
                      <button
                        type="button"
                        class="secondary small"
                        aria-label={`Cancel the message to ${phone(m.recipient)} at ${formatInZone(m.scheduleTime, props.zone)}`}
                        onClick={() => void cancel(m)}
                      >
                        Cancel
                      </button>
                    )}
                  </td>
                </tr>
              );
            })}
            {paged.rows && rows.length === 0 && (
              <EmptyRow cols={5}>{status ? `No ${STATUS_WORDS[status][0].toLowerCase()} messages.` : 'Nothing scheduled yet.'}</EmptyRow>
            )}
          </tbody>
        </table>
      </div>
      <Pager page={paged.page} hasNext={paged.hasNext} onNext={paged.next} onFirst={paged.first} />
    </Section>
  );
}

export function SchedulingPage(_props: PageProps) {
  const clients = useAsync(() => must(api.GET('/api/clients')), []);
  const [zone, setZone] = useState(DEFAULT_ZONE);
  const [version, setVersion] = useState(0);
  return (
    <div class="stack">
      <Section title="Schedule a message">
        <Notice kind="error">{clients.error}</Notice>
        {!clients.data && !clients.error && <p class="muted">Loading…</p>}
        {clients.data?.length === 0 && (
          <p class="muted">
            No numbers yet. <a href="#/numbers">Add one on the Numbers page</a> to schedule its messages.
          </p>
        )}
        {clients.data && clients.data.length > 0 && (
          <ScheduleForm clients={clients.data} zone={zone} onZone={setZone} onScheduled={() => setVersion((v) => v + 1)} />
        )}
      </Section>
      <ScheduledList zone={zone} version={version} />
    </div>
  );
}
