// Small pieces shared by the Messages, Scheduling and Webhooks pages: the client select, status pills,
// tabs, phone numbers as people read them, times, and the page's state kept in its address.
import type { ComponentChildren } from 'preact';
import type { Schemas } from '../../../api.ts';
import { Field, when } from '../../../components.tsx';
import { zones } from '../../../tz.ts';

export type Client = Schemas['Client'];

/** The "Client" select: the account's numbers (and "All numbers" when `all` is given). */
export function ClientSelect(props: { clients: Client[]; value: string; onChange: (clientId: string) => void; all?: string; hint?: string }) {
  return (
    <Field label="Client" hint={props.hint}>
      {(id) => (
        <select id={id} value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
          {props.clients.map((c) => (
            <option key={c.clientId} value={c.clientId}>
              {c.clientId} · +{c.phoneNumber.replace(/^\+/, '')}
            </option>
          ))}
          {props.all !== undefined && <option value={props.all}>All numbers</option>}
        </select>
      )}
    </Field>
  );
}

export type Tone = 'ok' | 'warn' | 'bad' | 'info' | 'muted';

/** A coloured status word (the colour is never the only sign: the word is always there). */
export function Pill(props: { tone: Tone; children: ComponentChildren; title?: string }) {
  return (
    <span class={`dt-pill dt-${props.tone}`} title={props.title}>
      {props.children}
    </span>
  );
}

/** `15550000001@c.us` → `+15550000001`; groups and other addresses stay as they are. */
export function phone(address: string | null | undefined): string {
  if (!address) return '';
  const bare = address.replace(/@(c\.us|s\.whatsapp\.net)$/, '');
  return /^\d{5,20}$/.test(bare) ? `+${bare}` : bare;
}

/** `Nov 23, 04:02:44 PM` (the year too when it is not this one), in the browser's zone and language. */
export function shortWhen(at: string | number): string {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return String(at);
  const thisYear = d.getFullYear() === new Date().getFullYear();
  return new Intl.DateTimeFormat(undefined, {
    ...(thisYear ? {} : { year: 'numeric' }),
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).format(d);
}

/** A time, short, with the instant in the markup and in full on hover. */
export function Stamp(props: { at: string | number | null | undefined }) {
  if (props.at === null || props.at === undefined || props.at === '') return <span class="muted">—</span>;
  const d = new Date(props.at);
  if (Number.isNaN(d.getTime())) return <span>{String(props.at)}</span>;
  return (
    <time class="dt-time" dateTime={d.toISOString()} title={when(props.at)}>
      {shortWhen(props.at)}
    </time>
  );
}

/** Tabs over panels (`panel-<key>` each): the tab role, arrow keys move between them. */
export function Tabs<K extends string>(props: { label: string; tabs: { key: K; label: string }[]; value: K; onChange: (k: K) => void }) {
  const keys = props.tabs.map((t) => t.key);
  const move = (from: K, step: number) => {
    const next = keys[(keys.indexOf(from) + step + keys.length) % keys.length]!;
    props.onChange(next);
    document.getElementById(`tab-${next}`)?.focus();
  };
  return (
    <div class="tabs dt-tabs" role="tablist" aria-label={props.label}>
      {props.tabs.map((t) => (
        <button
          key={t.key}
          type="button"
          role="tab"
          id={`tab-${t.key}`}
          aria-controls={`panel-${t.key}`}
          aria-selected={t.key === props.value}
          tabIndex={t.key === props.value ? 0 : -1}
          class="secondary small"
          onClick={() => props.onChange(t.key)}
          onKeyDown={(e) => {
            if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
              e.preventDefault();
              move(t.key, e.key === 'ArrowRight' ? 1 : -1);
            }
          }}
        >
          {t.label}
        </button>
      ))}
    </div>
  );
}

/** The one row of an empty table. */
export function EmptyRow(props: { cols: number; children: ComponentChildren }) {
  return (
    <tr>
      <td colSpan={props.cols} class="dt-empty">
        {props.children}
      </td>
    </tr>
  );
}

/** The page's own settings after `?` in its address (`#/messages?tab=calls&client=shop`). */
export function hashParams(): URLSearchParams {
  const q = location.hash.indexOf('?');
  return new URLSearchParams(q < 0 ? '' : location.hash.slice(q + 1));
}

/** Keeps the page's settings in its address (a reload or a shared link opens the same view), without a new history entry. */
export function setHashParams(values: Record<string, string | null | undefined>): void {
  const base = location.hash.split('?')[0] || '#/';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v) params.set(k, v);
  const query = params.toString();
  const hash = query ? `${base}?${query}` : base;
  if (hash !== location.hash) history.replaceState(history.state, '', hash);
}

let knownZones: string[] | undefined;

/** A time zone picker: the browser's zones, UTC always among them (Chromium leaves it out). */
export function ZoneField(props: { zone: string; onZone: (zone: string) => void }) {
  if (!knownZones) {
    const list = zones();
    knownZones = list.includes('UTC') ? list : [...list, 'UTC'];
  }
  const all = knownZones;
  return (
    <Field label="Time zone">
      {(id) => (
        <select id={id} value={props.zone} onChange={(e) => props.onZone(e.currentTarget.value)}>
          {all.map((z) => (
            <option key={z} value={z}>
              {z.replace(/_/g, ' ')}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}
