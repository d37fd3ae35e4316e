// SMS: texts sent through the account's Android devices (POST /api/sms/send). The form counts the parts as
// the API will (GSM-7 or UCS-2, in the browser with the same library), sends through a chosen device and SIM
// or lets the fleet route it to a healthy device, now or at a wall-clock time in a chosen zone. The list shows
// the recent sends, newest first, with their status as the devices reported it: Refresh asks again, More
// loads older ones. Each device's health and SIMs are on the Devices page; the form names them too.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, must, type Schemas } from '../../api.ts';
import { Field, Notice, Section, errorText, useAsync, type Note } from '../../components.tsx';
import { DEFAULT_ZONE, formatInZone, zonedToUtc } from '../../tz.ts';
import { withCursor } from './data/paging.ts';
import { EmptyRow, Pill, Stamp, type Tone, ZoneField } from './data/ui.tsx';
import { atQuota, type Device, Health, LastSeen, simName, usedWords } from './sms/fleet.tsx';
import { countWithCulprits, type Segments } from './sms/segments.ts';
import type { PageProps } from './types.ts';

type Sms = Schemas['Sms'];

const LIMIT = 50;
/** The device list (health, queues, SIMs) is asked again this often while the page is open. */
const DEVICES_EVERY_MS = 30_000;
const MAX_LENGTH = 1600;

const STATUS_WORDS: Record<Sms['status'], [string, Tone]> = {
  queued: ['Queued', 'info'],
  sending: ['Sending', 'warn'],
  sent: ['Sent', 'ok'],
  delivered: ['Delivered', 'ok'],
  failed: ['Failed', 'bad'],
};

const parts = (n: number) => `${n} ${n === 1 ? 'part' : 'parts'}`;
const utcWords = (instant: number | string) => `${formatInZone(instant, 'UTC')} UTC`;

/** The count under the message: encoding, parts and units used of what the parts hold. */
function SegmentCount(props: { id: string; text: string }) {
  const c = useMemo(() => countWithCulprits(props.text), [props.text]);
  // the API's shape: a change to SmsSegments fails this assignment at build time
  const counted: Schemas['SmsSegments'] = c satisfies Segments;
  return (
    <div id={props.id} class="sms-count">
      <p class="sms-count-line">
        <span class={`badge sms-enc ${counted.encoding === 'UCS-2' ? 'sms-enc-ucs' : ''}`} data-encoding={counted.encoding}>
          {counted.encoding}
        </span>
        <strong class="sms-parts">{parts(counted.segments)}</strong>
        <span class="muted" title="GSM-7 septets (€, [ ] and a few more count 2) or UCS-2 code units (an emoji counts 2)">
          {counted.characters}/{counted.segments * counted.unitsPerSegment} characters
          {counted.segments > 1 ? ` (${counted.unitsPerSegment} a part)` : ''}
        </span>
      </p>
      {c.notGsm.length > 0 && (
        <p class="hint sms-culprits">
          UCS-2 because of: <bdi class="sms-culprit-list">{c.notGsm.join(' ')}</bdi> (a part holds 70 characters, 67 when split)
        </p>
      )}
      {/* told to screen readers when the encoding or the parts change, not at every key */}
      <span class="sr-only" aria-live="polite">
        {counted.encoding}, {parts(counted.segments)}
      </span>
    </div>
  );
}

function DeviceState(props: { devices: Device[]; chosen: Device | undefined }) {
  const d = props.chosen;
  if (d)
    return (
      <p class="sms-device-state hint">
        <Health device={d} /> last seen <LastSeen at={d.lastSeenAt} /> · {d.queued} queued
        {!d.healthy && ' · it is sent when the phone polls again'}
      </p>
    );
  const healthy = props.devices.filter((x) => x.healthy).length;
  return (
    <p class={`sms-device-state hint${healthy ? '' : ' sms-warn'}`}>
      {healthy
        ? `${healthy} of ${props.devices.length} healthy: the one with the fewest queued and a SIM with room takes it.`
        : 'No device was seen in the last 90 s: a routed send is refused. Choose a device to queue it for when it polls.'}
    </p>
  );
}

function SendForm(props: { devices: Device[]; onSent: (sms: Sms) => void }) {
  const [to, setTo] = useState('');
  const [message, setMessage] = useState('');
  const [deviceId, setDeviceId] = useState('');
  const [sim, setSim] = useState('');
  const [local, setLocal] = useState('');
  const [zone, setZone] = useState(DEFAULT_ZONE);
  const [note, setNote] = useState<Note>(null);
  const [busy, setBusy] = useState(false);
  const chosen = props.devices.find((d) => d.deviceId === deviceId);
  const simOf = chosen?.sims.find((s) => String(s.slot) === sim);
  const instant = local ? zonedToUtc(local, zone) : Number.NaN;
  const later = !Number.isNaN(instant) && instant > Date.now();
  const nameOf = (id: string) => props.devices.find((d) => d.deviceId === id)?.name ?? id;
  return (
    <form
      class="stack sms-form"
      aria-label="Send an SMS"
      onSubmit={async (e) => {
        e.preventDefault();
        setNote(null);
        if (local && Number.isNaN(instant)) {
          setNote({ kind: 'error', text: 'The time to send at is not a date and time.' });
          return;
        }
        setBusy(true);
        try {
          const sent = await must(
            api.POST('/api/sms/send', {
              body: {
                to: to.trim(),
                message,
                ...(chosen ? { deviceId: chosen.deviceId } : {}),
                ...(chosen && simOf ? { sim: simOf.slot } : {}),
                ...(later ? { scheduleTime: new Date(instant).toISOString() } : {}),
              },
            }),
          );
          const where = `${nameOf(sent.deviceId)}${sent.sim ? `, SIM ${sent.sim}` : ''}`;
          const how = `${sent.segments.encoding}, ${parts(sent.segments.segments)}`;
          setNote({
            kind: 'ok',
            text: sent.scheduledFor ? `Scheduled for ${formatInZone(sent.scheduledFor, zone)} (${zone}) on ${where}: ${how}.` : `Queued on ${where}: ${how}.`,
          });
          setMessage('');
          setLocal('');
          props.onSent(sent);
        } catch (err) {
          setNote({ kind: 'error', text: errorText(err) });
        } finally {
          setBusy(false);
        }
      }}
    >
      <Field label="To" hint="With country code, e.g. +972501234567">
        {(id) => (
          <input
            id={id}
            name="to"
            type="tel"
            inputMode="tel"
            autocomplete="off"
            dir="ltr"
            required
            maxLength={20}
            value={to}
            onInput={(e) => setTo(e.currentTarget.value)}
          />
        )}
      </Field>
      <Field label="Message">
        {(id) => (
          <>
            <textarea
              id={id}
              name="message"
              rows={4}
              dir="auto"
              required
              maxLength={MAX_LENGTH}
              aria-describedby={`${id}-count`}
              value={message}
              onInput={(e) => setMessage(e.currentTarget.value)}
            />
            <SegmentCount id={`${id}-count`} text={message} />
          </>
        )}
      </Field>
      <div class="grid2">
        <Field label="Device">
          {(id) => (
            <select
              id={id}
              value={chosen?.deviceId ?? ''}
              onChange={(e) => {
                setDeviceId(e.currentTarget.value);
                setSim('');
              }}
            >
              <option value="">Any healthy device (routed)</option>
              {props.devices.map((d) => (
                <option key={d.deviceId} value={d.deviceId}>
                  {d.name} ({d.healthy ? 'healthy' : 'silent'}, {d.queued} queued)
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field
          label="SIM"
          hint={!chosen ? 'Choose a device to pick its SIM.' : chosen.sims.length ? undefined : 'This device has not reported its SIMs: the phone picks.'}
        >
          {(id) => (
            <select id={id} value={simOf ? sim : ''} disabled={!chosen || chosen.sims.length === 0} onChange={(e) => setSim(e.currentTarget.value)}>
              <option value="">Any SIM with room</option>
              {chosen?.sims.map((s) => (
                <option key={s.slot} value={String(s.slot)} disabled={atQuota(s)}>
                  {simName(s)} ({usedWords(s)}
                  {atQuota(s) ? ', quota reached' : ''})
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <DeviceState devices={props.devices} chosen={chosen} />
      <div class="grid2">
        <Field
          label="Send at (optional)"
          hint={
            !local
              ? 'Empty: now'
              : Number.isNaN(instant)
                ? `Date and time in ${zone}`
                : later
                  ? `That is ${utcWords(instant)}`
                  : 'That time has passed: it is sent now'
          }
        >
          {(id) => <input id={id} type="datetime-local" value={local} onInput={(e) => setLocal(e.currentTarget.value)} />}
        </Field>
        <ZoneField zone={zone} onZone={setZone} />
      </div>
      <div class="row">
        <button type="submit" disabled={busy}>
          {later ? 'Schedule SMS' : 'Send SMS'}
        </button>
      </div>
      {note && <Notice kind={note.kind}>{note.text}</Notice>}
    </form>
  );
}

type Listed = { rows: Sms[]; next: string | null; pages: number };

/** The recent sends: the first `pages` pages again on a refresh, one more page on `more`; a send made here is put on top. */
function useSends() {
  const [list, setList] = useState<Listed | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const ticket = useRef(0);
  const page = (cursor: string | null) => withCursor(api.GET('/api/sms', { params: { query: { limit: LIMIT, ...(cursor ? { cursor } : {}) } } }));
  // the newest answer wins: one asked before it (a refresh, a "More") is dropped
  const run = async (work: () => Promise<(was: Listed | null) => Listed>) => {
    const mine = ++ticket.current;
    setLoading(true);
    setError(null);
    try {
      const apply = await work();
      if (mine === ticket.current) setList(apply);
    } catch (err) {
      if (mine === ticket.current) setError(errorText(err));
    } finally {
      if (mine === ticket.current) setLoading(false);
    }
  };
  const refresh = (pages: number) =>
    run(async () => {
      let rows: Sms[] = [];
      let next: string | null = null;
      let n = 0;
      do {
        const p = await page(next);
        rows = rows.concat(p.data.messages);
        next = p.next;
        n++;
      } while (next && n < pages);
      return () => ({ rows, next, pages: n });
    });
  useEffect(() => void refresh(1), []);
  return {
    list,
    error,
    loading,
    refresh: () => void refresh(Math.max(1, list?.pages ?? 1)),
    more: () => {
      const cursor = list?.next;
      if (!list || !cursor) return;
      const seen = new Set(list.rows.map((r) => r.id));
      void run(async () => {
        const p = await page(cursor);
        return (was) => ({
          rows: [...(was?.rows ?? []), ...p.data.messages.filter((r) => !seen.has(r.id))],
          next: p.next,
          pages: (was?.pages ?? 1) + 1,
        });
      });
    },
    add: (sms: Sms) => setList((was) => (was ? { ...was, rows: [sms, ...was.rows.filter((r) => r.id !== sms.id)] } : was)),
  };
}

function SendRow(props: { sms: Sms; deviceName: string }) {
  const s = props.sms;
  const [word, tone] = STATUS_WORDS[s.status] ?? [s.status, 'muted'];
  return (
    <tr class="sms-row" data-id={s.id} data-status={s.status}>
      <td data-label="To" class="dt-nowrap">
        <bdi dir="ltr">{s.to}</bdi>
      </td>
      <td data-label="Message" class="dt-msg">
        <p class="dt-body" dir="auto">
          {s.message}
        </p>
      </td>
      <td data-label="Status">
        <Pill tone={tone}>{word}</Pill>
        {s.error && <small class="dt-error">{s.error}</small>}
        {s.fallbackOf && <small class="dt-sub">Fallback for WhatsApp {s.fallbackOf}</small>}
      </td>
      <td data-label="Device">
        <span class="sms-device-name">{props.deviceName}</span>
        <small class="dt-sub">{s.sim ? `SIM ${s.sim}` : "The phone's SIM"}</small>
      </td>
      <td data-label="Parts" class="dt-nowrap">
        <span>{parts(s.segments.segments)}</span>
        <small class="dt-sub">{s.segments.encoding}</small>
      </td>
      <td data-label="Times" class="sms-times">
        <span class="sms-time">
          Queued <Stamp at={s.createdAt} />
        </span>
        {s.scheduledFor && (
          <span class="sms-time">
            Not before <Stamp at={s.scheduledFor} />
          </span>
        )}
        {s.sentAt && (
          <span class="sms-time">
            Sent <Stamp at={s.sentAt} />
          </span>
        )}
        {s.deliveredAt && (
          <span class="sms-time">
            Delivered <Stamp at={s.deliveredAt} />
          </span>
        )}
      </td>
    </tr>
  );
}

function SendList(props: { sends: ReturnType<typeof useSends>; devices: Device[]; onRefresh: () => void }) {
  const { list, error, loading, more } = props.sends;
  const nameOf = (id: string) => props.devices.find((d) => d.deviceId === id)?.name ?? id;
  return (
    <Section
      title="Recent SMS"
      actions={
        <button type="button" class="secondary small" onClick={props.onRefresh} disabled={loading}>
          Refresh
        </button>
      }
    >
      <p class="muted dt-small">Newest first. A status changes as the phone reports it: Refresh to see the latest.</p>
      <Notice kind="error">{error}</Notice>
      {!list && loading && <p class="muted">Loading…</p>}
      {list && (
        <div class="table-wrap">
          <table class="dt-table sms-table" aria-busy={loading}>
            <caption class="sr-only">Recent SMS, newest first</caption>
            <thead>
              <tr>
                <th scope="col">To</th>
                <th scope="col">Message</th>
                <th scope="col">Status</th>
                <th scope="col">Device</th>
                <th scope="col">Parts</th>
                <th scope="col">Times</th>
              </tr>
            </thead>
            <tbody>
              {list.rows.map((s) => (
                <SendRow key={s.id} sms={s} deviceName={nameOf(s.deviceId)} />
              ))}
              {list.rows.length === 0 && <EmptyRow cols={6}>No SMS sent yet.</EmptyRow>}
            </tbody>
          </table>
        </div>
      )}
      {list?.next && (
        <div class="row sms-more">
          <button type="button" class="secondary small" onClick={more} disabled={loading}>
            More
          </button>
        </div>
      )}
    </Section>
  );
}

export function SmsPage(_props: PageProps) {
  const devices = useAsync(async () => (await must(api.GET('/api/devices'))).devices, []);
  const sends = useSends();
  useEffect(() => {
    const timer = window.setInterval(devices.reload, DEVICES_EVERY_MS);
    return () => window.clearInterval(timer);
  }, [devices.reload]);
  const list = devices.data ?? [];
  return (
    <div class="stack">
      <Section title="Send an SMS">
        <Notice kind="error">{devices.error}</Notice>
        {!devices.data && !devices.error && <p class="muted">Loading…</p>}
        {devices.data?.length === 0 && (
          <p class="muted">
            No devices yet. <a href="#/devices">Register the phone that runs the companion app on the Devices page</a> to send SMS through it.
          </p>
        )}
        {list.length > 0 && (
          <SendForm
            devices={list}
            onSent={(sms) => {
              sends.add(sms);
              devices.reload();
            }}
          />
        )}
      </Section>
      <SendList
        sends={sends}
        devices={list}
        onRefresh={() => {
          sends.refresh();
          devices.reload();
        }}
      />
    </div>
  );
}
