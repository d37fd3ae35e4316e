// How often the event monitor may look for new deliveries. Every dashboard read counts against the
// caller's `dashboard` rate limit (by default 1,000 per 15 minutes), so the monitor reads the limit's
// headers and spends at most half of it, leaving the rest to the person's own clicks: every 2 s when
// the limit is generous, slower when it is tight, and it waits out a 429's Retry-After.
export const FASTEST_MS = 2000;
const SLOWEST_MS = 5 * 60_000;

/** The delay before the next look, from a response's RateLimit-* (or a 429's Retry-After) headers. */
export function pollDelay(headers: Headers, status = 200): number {
  const retryAfter = Number(headers.get('Retry-After'));
  if (status === 429) return Math.min(SLOWEST_MS, Math.max(FASTEST_MS, Number.isFinite(retryAfter) ? retryAfter * 1000 : 60_000));
  const policy = /^(\d+);w=(\d+(?:\.\d+)?)/.exec(headers.get('RateLimit-Policy') ?? '');
  if (!policy) return FASTEST_MS;
  const limit = Number(policy[1]);
  const windowMs = Number(policy[2]) * 1000;
  let delay = windowMs / Math.max(1, limit / 2);
  const remaining = Number(headers.get('RateLimit-Remaining'));
  const reset = Number(headers.get('RateLimit-Reset'));
  // little left: wait until the oldest calls leave the window
  if (Number.isFinite(remaining) && remaining < limit / 4 && Number.isFinite(reset)) delay = Math.max(delay, reset * 1000);
  return Math.min(SLOWEST_MS, Math.max(FASTEST_MS, delay));
}
