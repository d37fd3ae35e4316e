// Wake-ups of a Wakeable object (webhook senders, rule runners), thinned per isolate: within WAKE_WINDOW_MS
// of waking a key, this isolate skips further wake-ups of it. Nothing is lost for a Wakeable, which looks
// again after any busy run (TAIL_CHECK_MS) and once the window of its last wake-up has passed — only for
// objects that do that (not a DeviceHub, which wakes its long-poll only when told).
export const WAKE_WINDOW_MS = 200;
export const TAIL_CHECK_MS = 500;

const recentWakes = new Map<string, number>();

/** Calls `wake` unless this isolate woke `key` a moment ago. */
export function wakeThinned(key: string, wake: () => Promise<void>): Promise<void> {
  const now = Date.now();
  const last = recentWakes.get(key);
  if (last !== undefined && now - last < WAKE_WINDOW_MS) return Promise.resolve();
  recentWakes.set(key, now);
  if (recentWakes.size > 10_000) recentWakes.clear();
  return wake();
}
