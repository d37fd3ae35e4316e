// The anti-spam pause before a group send: a random delay in GROUP_SEND_DELAY_MS (`min-max` or one
// number, milliseconds; `0` disables), default 2000-5000 as the spec says.
export function groupDelayRange(raw: string | undefined): [number, number] {
  const text = raw?.trim();
  if (!text) return [2000, 5000];
  const m = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(text);
  if (!m) return [2000, 5000];
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  return lo <= hi ? [lo, Math.min(hi, 60_000)] : [hi, Math.min(lo, 60_000)];
}

export function groupDelay(raw: string | undefined, random = Math.random): number {
  const [lo, hi] = groupDelayRange(raw);
  return Math.round(lo + (hi - lo) * random());
}
