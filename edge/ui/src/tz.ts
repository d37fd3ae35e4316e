// Time zones without a library: a wall-clock time in a zone → the UTC instant, and back, with the
// browser's own tz database (Intl). The dashboard's scheduling form defaults to Asia/Jerusalem.
export const DEFAULT_ZONE = 'Asia/Jerusalem';

/** The zone's offset from UTC at `instant`, in minutes. */
function offsetAt(instant: number, zone: string): number {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    })
      .formatToParts(new Date(instant))
      .map((p) => [p.type, p.value]),
  );
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return Math.round((asUtc - Math.floor(instant / 1000) * 1000) / 60_000);
}

/**
 * `2026-03-27T02:30` read as a wall-clock time in `zone` → the UTC instant (ms). A time that does not exist
 * (a clock-change gap) lands next to the gap: later in zones whose offset grows eastward like Asia/Jerusalem,
 * earlier in western ones (America/New_York 02:30 → 01:30 EST).
 */
export function zonedToUtc(local: string, zone: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local);
  if (!m) return Number.NaN;
  const wall = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0));
  // two passes settle the offset on either side of a transition
  let guess = wall - offsetAt(wall, zone) * 60_000;
  guess = wall - offsetAt(guess, zone) * 60_000;
  return guess;
}

/** An instant shown as a wall-clock time in `zone` (e.g. "23 Nov 2026, 14:30"). */
export function formatInZone(instant: number | string, zone: string): string {
  const d = new Date(instant);
  if (Number.isNaN(d.getTime())) return '';
  return new Intl.DateTimeFormat('en-GB', { timeZone: zone, dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

/** The zones the browser knows (a short list if it cannot tell). */
export function zones(): string[] {
  const all = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone');
  const list = all?.length
    ? all
    : ['UTC', 'Europe/London', 'Europe/Berlin', 'America/New_York', 'America/Los_Angeles', 'Asia/Dubai', 'Asia/Kolkata', 'Asia/Tokyo'];
  return list.includes(DEFAULT_ZONE) ? list : [DEFAULT_ZONE, ...list];
}
