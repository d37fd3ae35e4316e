// What the end-to-end tests ask of a running system (`npm start`'s startSystem): its API with the admin
// key, and a bounded wait that prints the system's logs when it times out.
import type { RunningSystem } from '../../scripts/system.ts';

export function systemApi(system: () => RunningSystem | undefined, defaults: { untilMs?: number; everyMs?: number } = {}) {
  const running = () => {
    const s = system();
    if (!s) throw new Error('the system is not started');
    return s;
  };
  /** A call with the admin's API key: POST with a body, else GET (or `method`). */
  const api = async (path: string, body?: unknown, opts: { method?: string; headers?: Record<string, string> } = {}) => {
    const s = running();
    const res = await fetch(`${s.url}${path}`, {
      method: opts.method ?? (body ? 'POST' : 'GET'),
      headers: { 'content-type': 'application/json', 'x-api-key': s.admin.apiKey!, ...opts.headers },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: res.status, json: (await res.json()) as any };
  };
  /** Polls `fn` until it answers something truthy; on timeout, fails with the system's logs. */
  const until = async <T>(
    what: string,
    fn: () => Promise<T | undefined | false> | T | undefined | false,
    timeoutMs = defaults.untilMs ?? 30_000,
  ): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await fn();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${running().logs()}`);
      await new Promise((r) => setTimeout(r, defaults.everyMs ?? 100));
    }
  };
  return { api, until };
}
