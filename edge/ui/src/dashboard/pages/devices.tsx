// Devices: Android companion phones that post received SMS, WhatsApp chats, USSD responses and
// notifications to /gateway/android, and send SMS (the SMS page). Registering one (or rotating its secret)
// shows the secret once with what to paste into the phone app; each device shows its health (Healthy: seen in
// the last 90 s), its queue and its SIMs with today's sends against their quota, has a webhook, can be
// deleted, and its recent events are listed by type.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, must, type paths, type Schemas } from '../../api.ts';
import { Confirmed, Field, Notice, Pager, Section, Secret, useAsync, when, errorText, type Note } from '../../components.tsx';
import { Choice } from './admin/choice.tsx';
import { DeviceSetup } from './admin/device-setup.tsx';
import { Health, LastSeen, SimList } from './sms/fleet.tsx';
import type { PageProps } from './types.ts';

type Device = Schemas['Device'];
type DeviceEvent = Schemas['DeviceEvent'];
type EventType = NonNullable<NonNullable<paths['/api/devices/{deviceId}/events']['get']['parameters']['query']>['type']>;
type Shown = { deviceId: string; name: string; secret: string; webhookSecret?: string | null; rotated?: boolean };

const EVENT_TYPES: { value: EventType | 'all'; label: string }[] = [
  { value: 'all', label: 'All' },
  { value: 'sms_received', label: 'SMS' },
  { value: 'message_received', label: 'WhatsApp' },
  { value: 'ussd_response', label: 'USSD' },
  { value: 'notification_received', label: 'Notifications' },
  { value: 'sms_status', label: 'SMS status' },
];
const EVENT_WORDS: Record<string, string> = {
  sms_received: 'SMS',
  message_received: 'WhatsApp',
  ussd_response: 'USSD',
  notification_received: 'Notification',
  sms_status: 'SMS status',
};
const EVENTS_PER_PAGE = 25;
/** Health turns Silent 90 s after the last poll: the list is asked again this often while the page is open. */
const DEVICES_EVERY_MS = 30_000;

function Register(props: { onRegistered: (shown: Shown) => void }) {
  const [name, setName] = useState('');
  const [webhookUrl, setWebhookUrl] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <Section title="Register a device">
      <form
        class="grid3"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(null);
          try {
            const created = await must(
              api.POST('/api/devices', { body: { name: name.trim(), ...(webhookUrl.trim() ? { webhookUrl: webhookUrl.trim() } : {}) } }),
            );
            props.onRegistered({ deviceId: created.deviceId, name: created.name, secret: created.secret, webhookSecret: created.webhookSecret });
            setName('');
            setWebhookUrl('');
          } catch (err) {
            setError(errorText(err));
          } finally {
            setBusy(false);
          }
        }}
      >
        <Field label="Device name" hint="e.g. Office phone">
          {(id) => <input id={id} required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />}
        </Field>
        <Field label="Webhook URL (optional)" hint="https; this device's events are POSTed here, signed">
          {(id) => (
            <input id={id} type="url" placeholder="https://example.com/sms-hook" value={webhookUrl} onInput={(e) => setWebhookUrl(e.currentTarget.value)} />
          )}
        </Field>
        <div class="field">
          <button type="submit" disabled={busy}>
            Register device
          </button>
        </div>
      </form>
      <Notice kind="error">{error}</Notice>
    </Section>
  );
}

function WebhookForm(props: { device: Device; onSaved: () => void }) {
  const [url, setUrl] = useState(props.device.webhookUrl ?? '');
  const [signing, setSigning] = useState<string | null>(null);
  const [note, setNote] = useState<Note>(null);
  const save = async (webhookUrl: string | null, rotateSecret = false) => {
    setNote(null);
    try {
      const saved = await must(
        api.POST('/api/devices/{deviceId}/webhook', {
          params: { path: { deviceId: props.device.deviceId } },
          body: { webhookUrl, ...(rotateSecret ? { rotateSecret } : {}) },
        }),
      );
      setUrl(saved.webhookUrl ?? '');
      setSigning(saved.webhookSecret);
      setNote({ kind: 'ok', text: rotateSecret ? 'A new signing secret was issued.' : saved.webhookUrl ? 'Webhook saved.' : 'Webhook removed.' });
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
        void save(url.trim() || null);
      }}
    >
      <Field label="Device webhook URL" hint="https. Empty removes it.">
        {(id) => <input id={id} type="url" placeholder="https://example.com/sms-hook" value={url} onInput={(e) => setUrl(e.currentTarget.value)} />}
      </Field>
      {signing && <Secret label="Signing secret" value={signing} />}
      <div class="row">
        <button type="submit" class="small">
          Save webhook
        </button>
        {props.device.webhookUrl && (
          <button type="button" class="secondary small" onClick={() => void save(props.device.webhookUrl, true)}>
            New signing secret
          </button>
        )}
        {props.device.webhookUrl && (
          <button type="button" class="secondary small" onClick={() => void save(null)}>
            Remove webhook
          </button>
        )}
      </div>
      {note && <Notice kind={note.kind}>{note.text}</Notice>}
    </form>
  );
}

function WebhookState(props: { device: Device }) {
  if (!props.device.webhookUrl) return <span class="status">No webhook</span>;
  if (props.device.webhookDisabled) return <span class="status status-failed">Webhook paused (410 Gone)</span>;
  return <span class="status status-connected">Webhook on</span>;
}

function DeviceCard(props: { device: Device; onRotated: (shown: Shown) => void; onChanged: () => void; onShowEvents: () => void }) {
  const d = props.device;
  return (
    <article class="card" aria-label={`Device ${d.name}`}>
      <header class="card-head">
        <h2>{d.name}</h2>
        <WebhookState device={d} />
      </header>
      <dl class="adm-facts">
        <dt>Device ID</dt>
        <dd>
          <code>{d.deviceId}</code>
        </dd>
        <dt>Registered</dt>
        <dd>{when(d.createdAt)}</dd>
        <dt>Health</dt>
        <dd>
          <Health device={d} />
        </dd>
        <dt>Last seen</dt>
        <dd>
          <LastSeen at={d.lastSeenAt} />
        </dd>
        <dt>Queued</dt>
        <dd>{d.queued === 1 ? '1 message' : `${d.queued} messages`}</dd>
        {d.webhookUrl && (
          <>
            <dt>Webhook URL</dt>
            <dd class="adm-wrap">{d.webhookUrl}</dd>
          </>
        )}
      </dl>
      <h3 class="adm-h3">SIMs</h3>
      <SimList device={d} />
      <details>
        <summary>Webhook</summary>
        <WebhookForm device={d} onSaved={props.onChanged} />
      </details>
      <div class="row end dev-actions">
        <button type="button" class="secondary small" onClick={props.onShowEvents}>
          Show events
        </button>
        <Confirmed
          label="Rotate secret"
          question={`Issue a new secret for ${d.name}? The old one stops working at once: paste the new one into the phone app.`}
          confirm="Rotate now"
          run={async () => {
            const rotated = await must(api.POST('/api/devices/{deviceId}/rotate-secret', { params: { path: { deviceId: d.deviceId } } }));
            props.onRotated({ deviceId: d.deviceId, name: d.name, secret: rotated.secret, rotated: true });
          }}
        />
        <Confirmed
          label="Delete"
          danger
          question={`Delete ${d.name}? Its secret stops working at once and its events are no longer listed.`}
          confirm="Delete permanently"
          run={async () => {
            await must(api.DELETE('/api/devices/{deviceId}', { params: { path: { deviceId: d.deviceId } } }));
            props.onChanged();
          }}
        />
      </div>
    </article>
  );
}

const text = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

/** Who an event is from and what it says, by its type. */
function describe(e: DeviceEvent): { who: string; what: string } {
  const d = e.data as Record<string, unknown>;
  switch (e.event) {
    case 'sms_received':
    case 'message_received':
      return { who: text(d.from), what: text(d.message ?? d.body) };
    case 'ussd_response':
      return { who: text(d.code), what: text(d.response) };
    case 'notification_received':
      return { who: text(d.package), what: [text(d.title), text(d.content)].filter(Boolean).join(' — ') };
    case 'sms_status':
      return { who: text(d.to), what: [text(d.status), text(d.error)].filter(Boolean).join(': ') };
    default:
      return { who: '', what: '' };
  }
}

function EventItem(props: { event: DeviceEvent }) {
  const e = props.event;
  const { who, what } = describe(e);
  const sim = (e.data as Record<string, unknown>).sim;
  return (
    <li class="dev-event">
      <div class="dev-event-head">
        <span class={`badge dev-type dev-type-${e.event}`}>{EVENT_WORDS[e.event] ?? e.event}</span>
        {who && <strong class="adm-wrap">{who}</strong>}
        {typeof sim === 'number' && <span class="muted">SIM {sim}</span>}
        <time class="muted dev-event-time" dateTime={e.receivedAt}>
          {when(e.receivedAt)}
        </time>
      </div>
      {what && <p class="dev-event-text">{what}</p>}
      <details class="dev-event-raw">
        <summary>Data</summary>
        <pre class="adm-code">
          <code>{JSON.stringify(e.data, null, 2)}</code>
        </pre>
      </details>
    </li>
  );
}

function RecentEvents(props: { devices: Device[]; deviceId: string; onDevice: (deviceId: string) => void }) {
  const [type, setType] = useState<EventType | 'all'>('all');
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const [page, setPage] = useState(1);
  const deviceId = props.deviceId;
  const first = () => {
    setCursor(undefined);
    setPage(1);
  };
  const asked = `${type}|${cursor ?? ''}`;
  const events = useAsync(async () => {
    const res = await api.GET('/api/devices/{deviceId}/events', {
      params: { path: { deviceId }, query: { limit: EVENTS_PER_PAGE, ...(type === 'all' ? {} : { type }), ...(cursor ? { cursor } : {}) } },
    });
    const data = await must(Promise.resolve(res));
    return { asked, events: data.events, next: res.response.headers.get('X-Next-Cursor') };
  }, [deviceId, asked]);
  // while another type or page loads, the last one is not shown under the new filter
  const shown = events.data?.asked === asked ? events.data : undefined;
  const name = props.devices.find((d) => d.deviceId === deviceId)?.name ?? deviceId;
  return (
    <Section
      title={`Recent events of ${name}`}
      actions={
        <button type="button" class="secondary small" onClick={events.reload}>
          Refresh
        </button>
      }
    >
      <div class="stack">
        {props.devices.length > 1 && (
          <Field label="Device">
            {(id) => (
              <select id={id} value={deviceId} onChange={(e) => props.onDevice(e.currentTarget.value)}>
                {props.devices.map((d) => (
                  <option key={d.deviceId} value={d.deviceId}>
                    {d.name} ({d.deviceId})
                  </option>
                ))}
              </select>
            )}
          </Field>
        )}
        <Choice
          label="Event type"
          value={type}
          options={EVENT_TYPES}
          onChange={(t) => {
            first();
            setType(t);
          }}
        />
        <Notice kind="error">{events.error}</Notice>
        {shown?.events.length === 0 && (
          <p class="muted">
            No {type === 'all' ? '' : `${EVENT_WORDS[type]} `}events from {name} {page > 1 ? 'on this page' : 'yet'}.
          </p>
        )}
        {!shown && events.loading && <p class="muted">Loading…</p>}
        {shown && shown.events.length > 0 && (
          <ol class="dev-events" aria-label={`Events of ${name}`} aria-busy={events.loading}>
            {shown.events.map((e) => (
              <EventItem key={e.id} event={e} />
            ))}
          </ol>
        )}
        <Pager
          page={page}
          hasNext={!!shown?.next}
          onNext={() => {
            setCursor(shown?.next ?? undefined);
            setPage((p) => p + 1);
          }}
          onFirst={first}
        />
      </div>
    </Section>
  );
}

/** The once-shown secret, brought into view and focused when it appears. */
function ShownOnce(props: { shown: Shown; onDone: () => void }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    ref.current?.scrollIntoView({ block: 'nearest' });
    ref.current?.focus({ preventScroll: true });
  }, [props.shown.secret]);
  return (
    <div ref={ref} tabIndex={-1} class="adm-focus">
      <DeviceSetup {...props.shown} onDone={props.onDone} />
    </div>
  );
}

export function DevicesPage(_props: PageProps) {
  const devices = useAsync(async () => (await must(api.GET('/api/devices'))).devices, []);
  const [shown, setShown] = useState<Shown | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  useEffect(() => {
    const timer = window.setInterval(devices.reload, DEVICES_EVERY_MS);
    return () => window.clearInterval(timer);
  }, [devices.reload]);
  const list = devices.data ?? [];
  const eventsOf = list.find((d) => d.deviceId === selected)?.deviceId ?? list[0]?.deviceId;
  return (
    <div class="stack">
      <Register
        onRegistered={(s) => {
          setShown(s);
          setSelected(s.deviceId);
          devices.reload();
        }}
      />
      {shown && <ShownOnce shown={shown} onDone={() => setShown(null)} />}
      <Notice kind="error">{devices.error}</Notice>
      {devices.data?.length === 0 && <p class="muted">No devices yet. Register the phone that runs the companion app above.</p>}
      <div class="cards">
        {list.map((d) => (
          <DeviceCard
            key={d.deviceId}
            device={d}
            onChanged={devices.reload}
            onRotated={(s) => {
              setShown(s);
              devices.reload();
            }}
            onShowEvents={() => {
              setSelected(d.deviceId);
              document.getElementById('device-events')?.scrollIntoView({ block: 'start' });
            }}
          />
        ))}
      </div>
      {eventsOf && (
        <div id="device-events">
          <RecentEvents key={eventsOf} devices={list} deviceId={eventsOf} onDevice={setSelected} />
        </div>
      )}
    </div>
  );
}
