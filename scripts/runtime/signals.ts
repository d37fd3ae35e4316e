// Miniflare answers SIGINT, SIGTERM and SIGHUP by SIGKILLing workerd and exiting at once, before
// in-flight requests can drain or the bridges can be stopped. Its handlers are named functions
// installed when a Miniflare is constructed; removing them leaves its process 'exit' hook (which
// still kills workerd if the process exits any other way) and lets scripts/start.ts own the signals.
const MINIFLARE_HANDLERS: [NodeJS.Signals, string][] = [
  ['SIGINT', 'onSignalInt'],
  ['SIGTERM', 'onSignalTerm'],
  ['SIGHUP', 'onSignalHup'],
];

/** Removes Miniflare's signal handlers; call right after each `new Miniflare()`. Answers how many it removed. */
export function releaseSignals(): number {
  let removed = 0;
  for (const [signal, name] of MINIFLARE_HANDLERS) {
    for (const listener of process.listeners(signal)) {
      if (listener.name === name) {
        process.removeListener(signal, listener);
        removed++;
      }
    }
  }
  return removed;
}
