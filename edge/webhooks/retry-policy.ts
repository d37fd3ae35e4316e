// When to try a failed delivery again: now, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h — with jitter,
// and never sooner than the receiver's Retry-After.
export const RETRY_DELAYS_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];
export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;
const MAX_RETRY_AFTER_MS = 36_000_000;

/** Delay before the next attempt after `attempts` have failed, or null when the delivery is exhausted. */
export function nextDelay(attempts: number, retryAfterMs: number | null, random: () => number = Math.random): number | null {
  if (attempts >= MAX_ATTEMPTS) return null;
  const base = RETRY_DELAYS_MS[attempts - 1] ?? RETRY_DELAYS_MS[0]!;
  const jittered = Math.round(base * (0.9 + random() * 0.2));
  return Math.max(jittered, Math.min(retryAfterMs ?? 0, MAX_RETRY_AFTER_MS));
}

/** Retry-After as seconds or an HTTP date → milliseconds from now. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
