// One attempt at one delivery: signed POST, 5 s (3 s for calls), no redirects, only 2xx counts.
import type { Endpoint } from './endpoint.ts';
import { parseRetryAfter } from './retry-policy.ts';
import { signWebhook } from './sign.ts';
import { checkOutboundUrl } from '../../adapters/url-guard.ts';

export const USER_AGENT = 'Switchboard-Webhooks/1.0';
const REPLY_LIMIT = 64 * 1024;

export type AttemptResult =
  | { kind: 'delivered'; status: number; body: string }
  | { kind: 'gone'; status: 410 }
  | { kind: 'failed'; status: number | null; error: string; retryAfterMs: number | null }
  | { kind: 'refused'; error: string };

export const timeoutFor = (event: string) => (event === 'call_rejected' ? 3000 : 5000);

async function readCapped(res: Response, limit: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= limit) {
      await reader.cancel();
      break;
    }
  }
  const all = new Uint8Array(Math.min(size, limit));
  let off = 0;
  for (const c of chunks) {
    const part = c.subarray(0, Math.min(c.byteLength, all.byteLength - off));
    all.set(part, off);
    off += part.byteLength;
  }
  return new TextDecoder().decode(all);
}

export async function attemptDelivery(
  endpoint: Endpoint,
  delivery: { id: string; event: string; payload: string },
  opts: { allowPrivate: boolean; now?: number },
): Promise<AttemptResult> {
  if (!endpoint.url) return { kind: 'refused', error: 'the endpoint has no webhook URL' };
  const checked = checkOutboundUrl(endpoint.url, { allowPrivate: opts.allowPrivate, httpsOnly: true });
  if (!checked.ok) return { kind: 'refused', error: `webhook URL refused: ${checked.reason}` };
  const now = opts.now ?? Date.now();
  const timestamp = Math.floor(now / 1000);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': USER_AGENT,
    'x-api-key': endpoint.apiKey,
    'webhook-id': delivery.id,
    'webhook-timestamp': String(timestamp),
  };
  if (endpoint.secret) headers['webhook-signature'] = await signWebhook(endpoint.secret, delivery.id, timestamp, delivery.payload);
  const timeout = timeoutFor(delivery.event);
  let res: Response;
  try {
    res = await fetch(checked.url, { method: 'POST', headers, body: delivery.payload, redirect: 'manual', signal: AbortSignal.timeout(timeout) });
  } catch (err) {
    const name = (err as Error)?.name;
    const error =
      name === 'TimeoutError' || name === 'AbortError' ? `timed out after ${timeout} ms` : `network error: ${(err as Error)?.message ?? String(err)}`;
    return { kind: 'failed', status: null, error, retryAfterMs: null };
  }
  if (res.status >= 200 && res.status < 300) {
    const body = await readCapped(res, REPLY_LIMIT).catch(() => '');
    return { kind: 'delivered', status: res.status, body };
  }
  await res.body?.cancel().catch(() => {});
  if (res.status === 410) return { kind: 'gone', status: 410 };
  const error = res.status >= 300 && res.status < 400 ? `HTTP ${res.status} redirect (not followed)` : `HTTP ${res.status}`;
  return { kind: 'failed', status: res.status, error, retryAfterMs: parseRetryAfter(res.headers.get('retry-after'), now) };
}
