// A device's health and SIMs as the Devices and SMS pages show them: Healthy (seen in the last 90 s, so
// routed sends may go to it) or Silent, when it was last seen, and each SIM's sends today against its daily
// quota. The word is always there; the colour only repeats it.
import type { Schemas } from '../../../api.ts';
import { when } from '../../../components.tsx';

export type Device = Schemas['Device'];
export type Sim = Device['sims'][number];

/** How long ago, in words ("just now", "42 s ago", "5 min ago", "3 h ago"); older than a day: the date and time. */
export function ago(at: string | null, now = Date.now()): string {
  if (!at) return 'never';
  const ms = now - new Date(at).getTime();
  if (Number.isNaN(ms)) return at;
  if (ms < 5_000) return 'just now';
  if (ms < 60_000) return `${Math.round(ms / 1000)} s ago`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min ago`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)} h ago`;
  return when(at);
}

export function Health(props: { device: Device }) {
  return props.device.healthy ? (
    <span class="status status-connected sms-health" title="Seen in the last 90 s: routed sends may go to it">
      Healthy
    </span>
  ) : (
    <span class="status status-failed sms-health" title="Not seen in the last 90 s: routed sends skip it until it polls again">
      Silent
    </span>
  );
}

/** Last seen, in words, with the time itself in the markup and on hover. */
export function LastSeen(props: { at: string | null }) {
  if (!props.at) return <span>Never</span>;
  return (
    <time dateTime={props.at} title={when(props.at)}>
      {ago(props.at)}
    </time>
  );
}

export const atQuota = (s: Sim) => s.dailyQuota !== null && s.sentToday >= s.dailyQuota;

/** `3/100 today`, or `3 today (no quota)`. */
export const usedWords = (s: Sim) => (s.dailyQuota === null ? `${s.sentToday} today (no quota)` : `${s.sentToday}/${s.dailyQuota} today`);

/** `SIM 1 · Partner · +972501234567` (what the device reported of it). */
export const simName = (s: Sim) => [`SIM ${s.slot}`, s.carrier, s.number].filter(Boolean).join(' · ');

export function SimList(props: { device: Device }) {
  const d = props.device;
  if (!d.sims.length) return <p class="muted sms-nosims">No SIMs reported yet: the phone app reports them when it starts.</p>;
  return (
    <ul class="sms-sims" aria-label={`SIMs of ${d.name}`}>
      {d.sims.map((s) => (
        <li key={s.slot} class={`sms-sim${atQuota(s) ? ' sms-sim-full' : ''}`}>
          <span class="sms-sim-slot">SIM {s.slot}</span>
          <span class="sms-sim-who">
            {s.carrier && <bdi>{s.carrier}</bdi>}
            {s.carrier && s.number && ' · '}
            {s.number && <bdi>{s.number}</bdi>}
          </span>
          <span class="sms-sim-used">
            {s.dailyQuota === null ? (
              <>
                {s.sentToday} sent today <span class="muted">(no quota)</span>
              </>
            ) : (
              <>
                {s.sentToday}/{s.dailyQuota} sent today{atQuota(s) && <strong> · quota reached</strong>}
              </>
            )}
          </span>
          {s.dailyQuota !== null && s.dailyQuota > 0 && (
            <meter
              class="sms-sim-meter"
              min={0}
              max={s.dailyQuota}
              value={Math.min(s.sentToday, s.dailyQuota)}
              low={s.dailyQuota * 0.8}
              high={s.dailyQuota * 0.95}
              optimum={0}
              aria-label={`SIM ${s.slot}: ${s.sentToday} of ${s.dailyQuota} sent today`}
            />
          )}
        </li>
      ))}
    </ul>
  );
}
