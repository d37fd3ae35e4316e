// Test helpers for workerd tests: real requests through the Worker's fetch handler.
import { env, runInDurableObject, SELF } from 'cloudflare:test';
import type { ClientHub } from '../objects/client-hub.ts';
import { QueueStore } from '../services/queue-store.ts';

export const ADMIN = { username: 'admin', password: 'admin-password-123', apiKey: 'sba_test_admin_key_0123456789abcdef' };

let ipCounter = 0;
/** A fresh caller IP, so tests don't share limiter windows unless they mean to. */
export const freshIp = () => `198.51.${Math.floor(Math.random() * 250)}.${(ipCounter++ % 250) + 1}`;

export interface CallOptions {
  method?: string;
  body?: unknown;
  key?: string;
  cookie?: string;
  ip?: string;
  headers?: Record<string, string>;
}

/** The body as JSON, or undefined when it is not JSON. */
export function tryJson(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function call(path: string, opts: CallOptions = {}) {
  const headers: Record<string, string> = { 'cf-connecting-ip': opts.ip ?? freshIp(), ...opts.headers };
  if (opts.key) headers['x-api-key'] = opts.key;
  if (opts.cookie) headers.cookie = opts.cookie;
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await SELF.fetch(`http://sb.test${path}`, { method: opts.method ?? (body !== undefined ? 'POST' : 'GET'), headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: tryJson(text), text };
}

export async function bootstrapAdmin(): Promise<string> {
  const res = await call('/internal/bootstrap', {
    body: { username: ADMIN.username, password: ADMIN.password, apiKey: ADMIN.apiKey },
    headers: { authorization: `Bearer ${env.INTERNAL_TOKEN}` },
  });
  if (res.status !== 200) throw new Error(`bootstrap failed: ${res.status} ${res.text}`);
  return ADMIN.apiKey;
}

let userCounter = 0;
export async function newUser(opts: { maxClients?: number | null; role?: 'admin' | 'user' } = {}) {
  const adminKey = await bootstrapAdmin();
  const username = `user${Date.now().toString(36)}${userCounter++}`;
  const password = `password-of-${username}`;
  const res = await call('/api/admin/users', { key: adminKey, body: { username, password, ...opts } });
  if (res.status !== 201) throw new Error(`user create failed: ${res.status} ${res.text}`);
  return { username, password, apiKey: res.json.apiKey as string };
}

export async function login(username: string, password: string): Promise<string> {
  const res = await call('/auth/login', { body: { username, password } });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${res.text}`);
  const cookie = res.headers.get('set-cookie') ?? '';
  return cookie.split(';')[0] ?? '';
}

export async function addClient(key: string, clientId = `c${Math.random().toString(36).slice(2, 10)}`, phoneNumber = '972501234567') {
  const res = await call('/api/add-number', { key, body: { clientId, phoneNumber } });
  if (res.status !== 200) throw new Error(`add-number failed: ${res.status} ${res.text}`);
  return { clientId, clientKey: res.json.apiKey as string };
}

export async function newDevice(key: string, webhookUrl?: string) {
  const res = await call('/api/devices', { key, body: { name: 'Pixel test', ...(webhookUrl ? { webhookUrl } : {}) } });
  if (res.status !== 201) throw new Error(`device create failed: ${res.status} ${res.text}`);
  return res.json as { deviceId: string; secret: string; webhookUrl: string | null; webhookSecret: string | null };
}

export const postAndroid = (secret: string, payload: Record<string, unknown>, ip?: string) =>
  call('/gateway/android', { body: payload, headers: { 'x-device-secret': secret }, ip });

let payloadId = 1000;
export const smsPayload = (message = 'Hello World!', phone = '+639760713666') => ({
  type: 'sms',
  data: { id: payloadId++, rid: payloadId, sim: 1, device: 'android-1', phone, message, timestamp: Math.floor(Date.now() / 1000) },
});

/** A client's internal reference (its row id). */
export async function refOf(clientId: string): Promise<number> {
  return (await env.DB.prepare('SELECT id FROM clients WHERE client_id = ? ORDER BY id DESC').bind(clientId).first<{ id: number }>())!.id;
}

/** Polls `fn` until it answers something truthy (bounded). */
export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The payloads of the webhook deliveries queued for a client, by event. */
export async function deliveries(ref: number, event: string): Promise<any[]> {
  const rows = await env.DB.prepare('SELECT payload FROM webhook_deliveries WHERE endpoint = ? AND event = ? ORDER BY created_at')
    .bind(`client:${ref}`, event)
    .all<{ payload: string }>();
  return rows.results.map((r) => JSON.parse(r.payload).data);
}

/**
 * Sets when every queued send of a client's hub may go (default: now, as if its wait had passed): the rows in
 * SQLite and the hub's in-memory copy of its queue (re-read from SQLite; what is in flight stays).
 */
export async function makeQueueDue(hub: DurableObjectStub<ClientHub>, notBefore = 0) {
  await runInDurableObject(hub, (obj, state) => {
    state.storage.sql.exec('UPDATE send_queue SET not_before = ?', notBefore);
    const { queue } = obj as unknown as { queue: unknown };
    if (!(queue instanceof QueueStore)) throw new Error('ClientHub keeps its queue elsewhere now: update makeQueueDue');
    queue.reload();
  });
}
