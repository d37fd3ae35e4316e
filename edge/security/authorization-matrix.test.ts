// Object-level authorization, driven by the app's own OpenAPI document: every operation that names a
// client, chat, message, group, device, scheduled message, webhook delivery or device outbox item (by
// path parameter, or by a clientId/deviceId body field) is called by every principal that is not its
// owner — another user's account key, client key and login session, a sibling client's key of the same
// user, another device's secret — against objects that really exist. Each must be refused (404, 403 for
// a client key on an account-only route, 401 for a credential the operation does not take) with the
// JSON error shape, nothing of the victim's may change, and the owner's own request must get through
// (so a refusal is never a side effect of a malformed probe). A new route with a path parameter that no
// fixture resolves fails the coverage test instead of skipping the matrix.
import { env, SELF } from 'cloudflare:test';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectFakeBridge, type FakeBridge } from '../test/fake-bridge.ts';
import { ADMIN, addClient, login, newDevice, newUser, postAndroid, smsPayload, tryJson } from '../test/helpers.ts';
import { bridgeAnswer, READ_ONLY_GROUP } from './bridge-answers.ts';
import { bodyProps, fillPath, type OpenApiDoc, type Operation, objectSample, operationsOf, pathParams } from './openapi-model.ts';

// ---------------------------------------------------------------------------------------------------
// requests

interface Cred {
  key?: string;
  cookie?: string;
  deviceSecret?: string;
}

interface Answer {
  status: number;
  text: string;
  json: any;
  contentType: string;
}

let ipSeq = 0;
/** Every request from its own address: the per-IP limiters never decide a case. */
const nextIp = () => {
  const n = ipSeq++;
  return `10.77.${(n >> 8) & 255}.${n & 255}`;
};

async function send(method: string, path: string, cred: Cred, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const h: Record<string, string> = { 'cf-connecting-ip': nextIp(), ...headers };
  if (cred.key) h['x-api-key'] = cred.key;
  if (cred.cookie) h.cookie = cred.cookie;
  if (cred.deviceSecret) h['x-device-secret'] = cred.deviceSecret;
  let payload: string | undefined;
  if (body !== undefined) {
    payload = JSON.stringify(body);
    h['content-type'] = 'application/json';
  }
  const res = await SELF.fetch(`http://sb.test${path}`, { method, headers: h, body: payload });
  if (res.webSocket) {
    res.webSocket.accept();
    res.webSocket.close(1000, 'probe done');
    return { status: res.status, text: '', json: undefined, contentType: '' };
  }
  const contentType = res.headers.get('content-type') ?? '';
  if (!/json|text/.test(contentType)) {
    await res.arrayBuffer(); // a PNG or other bytes: only the status matters
    return { status: res.status, text: '', json: undefined, contentType };
  }
  const text = await res.text();
  return { status: res.status, text, json: tryJson(text), contentType };
}

const isErrorShape = (a: Answer) =>
  a.contentType.startsWith('application/json') &&
  a.json?.success === false &&
  typeof a.json.code === 'string' &&
  a.json.code.length > 0 &&
  typeof a.json.error === 'string';

// ---------------------------------------------------------------------------------------------------
// fixtures: a victim with two clients, two devices and one of everything; an attacker with its own

const CHAT = '972500000001@c.us';
const MEDIA_MESSAGE = 'VICTIMMEDIA0001';
const VICTIM_TEXT = 'victim-private-text-7f3a';
const VICTIM_HOOKS = 'https://victim-hooks.example.com';
const OWNERSHIP_CODES = ['CLIENT_NOT_FOUND', 'DEVICE_NOT_FOUND', 'NOT_FOUND', 'MESSAGE_NOT_FOUND', 'RULE_NOT_FOUND'];
/** Operations whose clientId names a new object in the caller's own namespace (not someone's existing one). */
const CREATES_IN_OWN_NAMESPACE = new Set(['POST /api/add-number']);
/** `/api/admin/*`: the admin's account key only; every other principal gets 403 ACCESS_DENIED. */
const adminOnly = (op: Operation) => op.path.startsWith('/api/admin/');

interface Principal {
  name: string;
  scheme: 'ApiKeyAuth' | 'SessionCookie' | 'DeviceSecret';
  clientKey?: boolean;
  cred: Cred;
  password?: string;
}

interface Fixtures {
  bridge: FakeBridge;
  victim: { id: number; username: string; password: string; apiKey: string; cookie: string };
  clientA: { clientId: string; clientKey: string; ref: number };
  clientB: { clientId: string; clientKey: string; ref: number };
  device1: { deviceId: string; secret: string; ref: number };
  device2: { deviceId: string; secret: string; ref: number };
  scheduledId: number;
  /** a message waiting in clientA's send queue (not before tomorrow) */
  queuedId: string;
  deviceDeliveryId: string;
  clientDeliveryId: string;
  outboxId: number;
  /** an SMS and a USSD request sent through device 1 (where the document has their routes) */
  smsId?: string;
  ussdId?: string;
  /** a rule of the victim's, where the document has /api/rules, and an event its test may name */
  ruleId?: string;
  ruleEventId?: string;
  webhookSecret: string;
  /** a bridge credential the admin issued, where the document has POST /api/admin/bridges */
  bridgeId?: string;
  attackers: Principal[];
  secrets: string[];
}

const rand = () => Math.random().toString(36).slice(2, 8);
const one = async <T>(sql: string, ...binds: unknown[]) =>
  (await env.DB.prepare(sql)
    .bind(...binds)
    .first<T>())!;

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function makeFixtures(ops: Operation[]): Promise<Fixtures> {
  const bridge = await connectFakeBridge();
  const fallback = bridge.answer;
  bridge.answer = (frame) => bridgeAnswer(frame) ?? fallback(frame);

  const v = await newUser();
  const victim = {
    ...v,
    id: (await one<{ id: number }>('SELECT id FROM users WHERE username = ?', v.username)).id,
    cookie: await login(v.username, v.password),
  };
  const refOf = async (clientId: string) => (await one<{ id: number }>('SELECT id FROM clients WHERE user_id = ? AND client_id = ?', victim.id, clientId)).id;
  const a = await addClient(victim.apiKey, `victim-a-${rand()}`);
  const b = await addClient(victim.apiKey, `victim-b-${rand()}`);
  const clientA = { ...a, ref: await refOf(a.clientId) };
  const clientB = { ...b, ref: await refOf(b.clientId) };
  const devRef = async (deviceId: string) => (await one<{ id: number }>('SELECT id FROM devices WHERE device_id = ?', deviceId)).id;
  const d1 = await newDevice(victim.apiKey, `${VICTIM_HOOKS}/sms`);
  const d2 = await newDevice(victim.apiKey);
  const device1 = { deviceId: d1.deviceId, secret: d1.secret, ref: await devRef(d1.deviceId) };
  const device2 = { deviceId: d2.deviceId, secret: d2.secret, ref: await devRef(d2.deviceId) };

  // client A: a webhook, an inbound media message (a chat, a message, a delivery), a call, a scheduled message
  const hook = await send('POST', '/api/update-webhook', { key: victim.apiKey }, { clientId: clientA.clientId, webhookUrl: `${VICTIM_HOOKS}/wa` });
  if (hook.status !== 200) throw new Error(`update-webhook: ${hook.status} ${hook.text}`);
  const events = [
    {
      kind: 'message',
      messageId: MEDIA_MESSAGE,
      from: CHAT.replace('@c.us', ''),
      chatId: CHAT,
      fromMe: false,
      body: VICTIM_TEXT,
      type: 'image',
      timestamp: Date.now(),
      pushName: 'Alice',
      hasMedia: true,
      mimetype: 'image/png',
      filename: 'photo.png',
    },
    { kind: 'call', callId: `CALL${rand()}`, from: '972500000001', isVideo: false, timestamp: Date.now() },
  ];
  const ids = events.map((event, i) => {
    const id = `evt-victim-${rand()}-${i}`;
    bridge.ws.send(JSON.stringify({ t: 'event', id, clientRef: clientA.ref, at: Date.now(), event }));
    return id;
  });
  await bridge.waitFor((f) => ids.every((id) => f.some((x) => x.t === 'ack' && x.ids.includes(id))));
  const scheduled = await send(
    'POST',
    '/api/schedule-message',
    { key: victim.apiKey },
    { clientId: clientA.clientId, number: '972500000002', message: VICTIM_TEXT, scheduleTime: new Date(Date.now() + 86_400_000).toISOString() },
  );
  if (scheduled.status !== 200) throw new Error(`schedule: ${scheduled.status} ${scheduled.text}`);
  const queuedId = `q${clientA.ref.toString(36)}_rvictim${rand()}`;
  await env.CLIENT_HUB.getByName(`client:${clientA.ref}`).enqueue(clientA.ref, [
    { id: queuedId, send: { to: '972500000003', text: VICTIM_TEXT, origin: 'api' }, lane: 'bulk', notBefore: Date.now() + 86_400_000 },
  ]);

  // device 1: an SMS (a delivery to its webhook) and an outbound message waiting for the device
  const sms = await postAndroid(device1.secret, smsPayload(VICTIM_TEXT));
  if (sms.status !== 200) throw new Error(`sms: ${sms.status} ${sms.text}`);
  const outbox = await one<{ id: number }>(
    `INSERT INTO device_outbox (device_ref, channel, "to", sim, message, status) VALUES (?, 'sms', '+639760713666', 1, ?, 'pending') RETURNING id`,
    device1.ref,
    VICTIM_TEXT,
  );

  // an SMS and a USSD request through device 1, where the document has those routes
  const smsId = ops.some((op) => op.id === 'POST /api/sms/send')
    ? (await send('POST', '/api/sms/send', { key: victim.apiKey }, { to: '+972500000004', message: VICTIM_TEXT, deviceId: device1.deviceId })).json?.id
    : undefined;
  const ussdId = ops.some((op) => op.id === 'POST /api/ussd')
    ? (await send('POST', '/api/ussd', { key: victim.apiKey }, { deviceId: device1.deviceId, code: '*143#' })).json?.id
    : undefined;

  // a rule of the victim's, where the document has the rules routes
  const ruleId = ops.some((op) => op.id === 'POST /api/rules')
    ? (
        await send(
          'POST',
          '/api/rules',
          { key: victim.apiKey },
          { name: 'victim rule', trigger: { event: 'sms_received' }, actions: [{ type: 'reply', text: VICTIM_TEXT }] },
        )
      ).json?.id
    : undefined;

  const deviceEvent = await env.DB.prepare('SELECT id FROM device_events WHERE device_ref = ? ORDER BY id LIMIT 1').bind(device1.ref).first<{ id: number }>();
  const ruleEventId = deviceEvent ? `dev_evt_${deviceEvent.id}` : undefined;

  // both deliveries fail their first attempt (no network here); then they are dead, so a replay would show
  type Delivery = { id: string; endpoint: { kind: string }; attempts: number; lastError: string | null };
  const deliveries = await until('two attempted deliveries', async () => {
    const list = await send('GET', '/api/webhook-deliveries', { key: victim.apiKey });
    const rows = (list.json?.deliveries ?? []) as Delivery[];
    return rows.length >= 2 && rows.every((r) => r.attempts >= 1 && r.lastError) ? rows : undefined;
  });
  await env.DB.prepare(`UPDATE webhook_deliveries SET status = 'dead' WHERE user_id = ?`).bind(victim.id).run();
  // a failed call_rejected delivery sends its default reply through the bridge: let that happen now, not mid-matrix
  let last = -1;
  await until('the bridge traffic to settle', async () => {
    await new Promise((r) => setTimeout(r, 400));
    const n = bridge.frames.length;
    const pending = await one<{ n: number }>(`SELECT count(*) AS n FROM webhook_deliveries WHERE user_id = ? AND status <> 'dead'`, victim.id);
    const settled = n === last && pending.n === 0;
    last = n;
    return settled ? true : undefined;
  });

  // the operator's objects: a bridge credential, where the document has the route that issues one
  let bridgeId: string | undefined;
  if (ops.some((op) => op.id === 'POST /api/admin/bridges')) {
    const issued = await send('POST', '/api/admin/bridges', { key: ADMIN.apiKey }, { bridgeId: `matrix-${rand()}` });
    if (issued.status !== 201) throw new Error(`bridge credential: ${issued.status} ${issued.text}`);
    bridgeId = issued.json.bridgeId;
  }

  const x = await newUser();
  const xClient = await addClient(x.apiKey, `attacker-${rand()}`);
  const xDevice = await newDevice(x.apiKey);
  const attackers: Principal[] = [
    { name: "another user's account key", scheme: 'ApiKeyAuth', cred: { key: x.apiKey }, password: x.password },
    { name: "another user's client key", scheme: 'ApiKeyAuth', clientKey: true, cred: { key: xClient.clientKey }, password: x.password },
    { name: "another user's login session", scheme: 'SessionCookie', cred: { cookie: await login(x.username, x.password) }, password: x.password },
    { name: "a sibling client's key (same user)", scheme: 'ApiKeyAuth', clientKey: true, cred: { key: clientB.clientKey }, password: victim.password },
    { name: "another user's device secret", scheme: 'DeviceSecret', cred: { deviceSecret: xDevice.secret } },
    { name: "a sibling device's secret (same user)", scheme: 'DeviceSecret', cred: { deviceSecret: device2.secret } },
  ];
  return {
    bridge,
    victim,
    clientA,
    clientB,
    device1,
    device2,
    scheduledId: scheduled.json.id,
    queuedId,
    deviceDeliveryId: deliveries.find((d) => d.endpoint.kind === 'device')!.id,
    clientDeliveryId: deliveries.find((d) => d.endpoint.kind === 'client')!.id,
    outboxId: outbox.id,
    smsId,
    ussdId,
    ruleId,
    ruleEventId,
    webhookSecret: hook.json.webhookSecret,
    bridgeId,
    attackers,
    secrets: [
      victim.apiKey,
      victim.password,
      clientA.clientKey,
      clientB.clientKey,
      device1.secret,
      device2.secret,
      hook.json.webhookSecret,
      VICTIM_TEXT,
      VICTIM_HOOKS,
    ],
  };
}

// ---------------------------------------------------------------------------------------------------
// which operations name an owned object, and with what

interface Variant {
  label: string;
  value: string;
}

/** Object parameters: every path parameter, and body fields that name an object (`…Id`). */
const namesObject = (name: string) => name === 'id' || name.endsWith('Id');
/** Body fields that say whose object the call acts on (the brief's "clientId body field"). */
const OWNER_FIELDS = ['clientId', 'deviceId'];

const inMatrix = (op: Operation) => pathParams(op).length > 0 || OWNER_FIELDS.some((f) => f in bodyProps(op));

function objectParams(op: Operation): string[] {
  const body = inMatrix(op) ? Object.keys(bodyProps(op)).filter(namesObject) : [];
  return [...new Set([...pathParams(op).map((p) => p.name), ...body])];
}

function resolvers(fx: Fixtures): Record<string, (op: Operation) => Variant[] | undefined> {
  return {
    clientId: () => [{ label: 'client', value: fx.clientA.clientId }],
    chatId: () => [{ label: 'chat', value: CHAT }],
    messageId: () => [{ label: 'message', value: MEDIA_MESSAGE }],
    groupId: () => [{ label: 'group', value: READ_ONLY_GROUP }],
    deviceId: () => [{ label: 'device', value: fx.device1.deviceId }],
    eventId: () => (fx.ruleEventId ? [{ label: "the victim's device event", value: fx.ruleEventId }] : undefined),
    bridgeId: () => (fx.bridgeId ? [{ label: "the operator's bridge credential", value: fx.bridgeId }] : undefined),
    id: (op) => {
      if (/\/scheduled-messages\/\{id\}$/.test(op.path)) return [{ label: 'scheduled message', value: String(fx.scheduledId) }];
      if (/^\/api\/messages\/\{id\}$/.test(op.path)) return [{ label: 'queued message', value: fx.queuedId }];
      if (/\/webhook-deliveries\/\{id\}\//.test(op.path))
        return [
          { label: "device's webhook delivery", value: fx.deviceDeliveryId },
          { label: "client's webhook delivery", value: fx.clientDeliveryId },
        ];
      if (/^\/gateway\/android\/outbox\/\{id\}$/.test(op.path)) return [{ label: 'device outbox message', value: String(fx.outboxId) }];
      if (/^\/api\/sms\/\{id\}$/.test(op.path) && fx.smsId) return [{ label: 'SMS send', value: fx.smsId }];
      if (/^\/api\/ussd\/\{id\}$/.test(op.path) && fx.ussdId) return [{ label: 'USSD request', value: fx.ussdId }];
      if (/^\/api\/rules\/\{id\}/.test(op.path) && fx.ruleId) return [{ label: 'rule', value: fx.ruleId }];
      return undefined;
    },
  };
}

/** Every combination of the operation's object variants, or the parameters no fixture resolves. */
function targetsOf(op: Operation, fx: Fixtures): { targets: { label: string; values: Record<string, string> }[]; missing: string[] } {
  const r = resolvers(fx);
  let targets: { label: string; values: Record<string, string> }[] = [{ label: '', values: {} }];
  const missing: string[] = [];
  for (const name of objectParams(op)) {
    const variants = r[name]?.(op);
    if (!variants?.length) {
      missing.push(name);
      continue;
    }
    targets = targets.flatMap((t) =>
      variants.map((v) => ({ label: [t.label, v.label].filter(Boolean).join(' + '), values: { ...t.values, [name]: v.value } })),
    );
  }
  return { targets, missing };
}

/** A body the owner's call would pass validation with (the object fields set to the victim's). */
function bodyFor(op: Operation, values: Record<string, string>, password: string | undefined) {
  if (!op.body) return undefined;
  return objectSample(op.body.schema, {
    number: '972500000009',
    phoneNumber: '972500000010',
    message: 'authorization probe',
    scheduleTime: new Date(Date.now() + 2 * 86_400_000).toISOString(),
    webhookUrl: 'https://attacker.example.com/hook',
    rotateSecret: true,
    password: password ?? 'not-the-password',
    from: '972500000011',
    emoji: '👍',
    name: 'probe',
    status: 'sent',
    ...values,
  });
}

const requestOf = (op: Operation, values: Record<string, string>, password?: string) => ({
  path: fillPath(
    op.path,
    Object.fromEntries(
      Object.entries(values)
        .filter(([k]) => op.path.includes(`{${k}}`))
        .map(([k, v]) => [k, encodeURIComponent(v)]),
    ),
  ),
  body: bodyFor(op, values, password),
  headers: op.responses.includes('101') ? { upgrade: 'websocket' } : undefined,
});

// ---------------------------------------------------------------------------------------------------
// the victim's state, read through its own credentials and straight from D1

async function victimState(fx: Fixtures) {
  const v = { key: fx.victim.apiKey };
  const a = fx.clientA.clientId;
  const api: Record<string, unknown> = {};
  const reads: [string, Cred][] = [
    ['/api/clients', v],
    ['/api/clients', { key: fx.clientA.clientKey }],
    ['/api/clients', { key: fx.clientB.clientKey }],
    ['/api/profile', v],
    ['/auth/me', { cookie: fx.victim.cookie }],
    ['/api/scheduled-messages', v],
    ['/api/devices', v],
    [`/api/devices/${fx.device1.deviceId}/events`, v],
    [`/api/devices/${fx.device2.deviceId}/events`, v],
    ['/api/webhook-deliveries', v],
    [`/api/chats/${a}`, v],
    [`/api/chats/${a}/${encodeURIComponent(CHAT)}/messages`, v],
    [`/api/received-messages/${a}`, v],
    [`/api/incoming-calls/${a}`, v],
    ['/api/sent-messages', v],
    ['/api/call-logs', v],
  ];
  // the operator's lists (bridge credentials and the like), read with the admin key
  if (fx.bridgeId) reads.push(['/api/admin/bridges', { key: ADMIN.apiKey }]);
  for (const [path, cred] of reads) {
    const r = await send('GET', path, cred);
    const as = cred.key === fx.victim.apiKey ? 'account key' : cred.key === ADMIN.apiKey ? 'admin key' : cred.key ? 'client key' : 'session';
    // the bridges' credentials are state; their heartbeats and the clients they hold move on their own
    const body =
      path === '/api/admin/bridges' && r.json?.bridges
        ? {
            bridges: r.json.bridges.map((b: { bridgeId: string; createdAt: string; revoked: boolean }) => ({
              bridgeId: b.bridgeId,
              createdAt: b.createdAt,
              revoked: b.revoked,
            })),
          }
        : path === '/api/devices' && r.json?.devices
          ? // a device's sign of life moves with its own calls (the checks below make some): not state anyone could take
            { devices: r.json.devices.map(({ lastSeenAt: _seen, healthy: _healthy, ...d }: Record<string, unknown>) => d) }
          : r.json;
    api[`${path} as ${as}`] = { status: r.status, body };
  }
  // the device secrets still work: a report on an unknown message is a 404 for a valid secret, a 401 otherwise
  for (const d of [fx.device1, fx.device2]) {
    const r = await send('POST', '/gateway/android/outbox/999999999', { deviceSecret: d.secret }, { status: 'sent' });
    api[`secret of ${d.deviceId}`] = r.status;
  }
  // every row of the victim's, by owner, client or device (new tables are picked up by their columns)
  const db: Record<string, unknown[]> = {};
  const tables = await env.DB.prepare(
    `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%' AND name <> 'api_usage' ORDER BY name`,
  ).all<{ name: string }>();
  for (const { name } of tables.results) {
    const cols = (await env.DB.prepare(`SELECT name FROM pragma_table_info(?)`).bind(name).all<{ name: string }>()).results.map((c) => c.name);
    const where =
      name === 'users'
        ? `id = ${fx.victim.id}`
        : cols.includes('user_id')
          ? `user_id = ${fx.victim.id}`
          : cols.includes('client_ref')
            ? `client_ref IN (${fx.clientA.ref}, ${fx.clientB.ref})`
            : cols.includes('device_ref')
              ? `device_ref IN (${fx.device1.ref}, ${fx.device2.ref})`
              : null;
    if (!where) continue;
    const rows = (await env.DB.prepare(`SELECT * FROM "${name}" WHERE ${where} ORDER BY rowid`).all<Record<string, unknown>>()).results;
    db[name] = rows.map(({ last_seen_at: _seen, ...rest }) => rest);
  }
  return { api, db };
}

const victimBridgeRequests = (fx: Fixtures) =>
  fx.bridge.frames.filter((f) => f.t === 'req' && (f.clientRef === fx.clientA.ref || f.clientRef === fx.clientB.ref)).length;

// ---------------------------------------------------------------------------------------------------

interface Case {
  op: Operation;
  target: string;
  principal: Principal;
  values: Record<string, string>;
  /** what a correct refusal looks like */
  expect: { statuses: number[]; codes?: string[] };
}

function expectationFor(op: Operation, p: Principal): Case['expect'] {
  if (!op.security.includes(p.scheme)) return { statuses: [401], codes: ['AUTH_ERROR'] };
  if (adminOnly(op)) return { statuses: [403], codes: ['ACCESS_DENIED'] };
  if (CREATES_IN_OWN_NAMESPACE.has(op.id) && !p.clientKey) return { statuses: [200] };
  // a client key on a route that is account-wide: 403 ACCESS_DENIED, as the design says
  if (p.clientKey && op.responses.includes('403')) return { statuses: [404, 403], codes: [...OWNERSHIP_CODES, 'ACCESS_DENIED'] };
  return { statuses: [404], codes: OWNERSHIP_CODES };
}

describe('object-level authorization matrix (every operation of GET /openapi.json)', () => {
  let fx: Fixtures;
  let ops: Operation[];
  let matrix: Operation[];

  beforeAll(async () => {
    const doc = (await (await SELF.fetch('http://sb.test/openapi.json')).json()) as OpenApiDoc;
    ops = operationsOf(doc);
    matrix = ops.filter(inMatrix);
    fx = await makeFixtures(ops);
  }, 90_000);

  afterAll(() => fx?.bridge.close());

  it('has a fixture for every path parameter and every object named in a body', () => {
    const uncovered = matrix.flatMap((op) => targetsOf(op, fx).missing.map((name) => `${op.id}: {${name}}`));
    expect(uncovered, 'add a resolver (and a fixture) for these, so the matrix covers them').toEqual([]);
    expect(matrix.length).toBeGreaterThanOrEqual(30);
  });

  it("shows none of the victim's objects in any list another principal can read", async () => {
    // every GET without a path parameter (lists, profile, logs, usage), as every principal it accepts
    const lists = ops.filter((op) => op.method === 'GET' && pathParams(op).length === 0 && op.security.length);
    const identifiers = [...fx.secrets, fx.clientA.clientId, fx.device1.deviceId, fx.device2.deviceId, fx.deviceDeliveryId, fx.clientDeliveryId, MEDIA_MESSAGE];
    const leaks: string[] = [];
    let reads = 0;
    for (const op of lists)
      for (const p of fx.attackers.filter((a) => op.security.includes(a.scheme))) {
        const res = await send('GET', op.path, p.cred);
        reads++;
        // a sibling client's key sees itself (its own key is one of the user's secrets): not a leak
        const seen = identifiers.filter((id) => res.text.includes(id) && !Object.values(p.cred).includes(id));
        if (seen.length) leaks.push(`${op.id} as ${p.name} (${res.status}) shows ${seen.join(', ')}`);
      }
    console.log(`lists read by other principals: ${reads} reads of ${lists.length} operations`);
    expect(leaks).toEqual([]);
  });

  it("refuses everyone but the owner, with the JSON error shape, and changes nothing of the victim's", async () => {
    const cases: Case[] = [];
    for (const op of matrix) {
      const { targets, missing } = targetsOf(op, fx);
      if (missing.length) continue;
      // the principals the operation takes, and the key and login ones it does not (those must be a 401)
      const principals = fx.attackers.filter((p) => op.security.includes(p.scheme) || p.scheme !== 'DeviceSecret');
      for (const t of targets)
        for (const principal of principals) cases.push({ op, target: t.label, principal, values: t.values, expect: expectationFor(op, principal) });
    }
    // creating "the victim's" clientId in one's own namespace last: afterwards the attacker owns a client of that name
    cases.sort((x, y) => Number(CREATES_IN_OWN_NAMESPACE.has(x.op.id)) - Number(CREATES_IN_OWN_NAMESPACE.has(y.op.id)));

    const before = await victimState(fx);
    const bridgeBefore = victimBridgeRequests(fx);
    const failures: string[] = [];
    // the same attacker reaches a create by its key and by its login: the second finds the client it made itself
    const created = new Set<string>();
    for (const c of cases) {
      const req = requestOf(c.op, c.values, c.principal.password);
      const res = await send(c.op.method, req.path, c.principal.cred, req.body, req.headers);
      const what = `${c.op.id} [${c.target}] as ${c.principal.name}: ${res.status} ${res.text.slice(0, 200)}`;
      const creator = `${c.op.id} ${c.target} ${c.principal.password ?? c.principal.name}`;
      const ownAgain = CREATES_IN_OWN_NAMESPACE.has(c.op.id) && created.has(creator) && res.status === 409 && res.json?.code === 'CLIENT_EXISTS';
      if (CREATES_IN_OWN_NAMESPACE.has(c.op.id) && res.status === 200) created.add(creator);
      const statusOk = c.expect.statuses.includes(res.status) || ownAgain;
      const shapeOk = res.status < 300 || isErrorShape(res);
      const codeOk = !c.expect.codes || (res.json && c.expect.codes.includes(res.json.code));
      if (!statusOk || !shapeOk || !codeOk) failures.push(`${what} (expected ${c.expect.statuses.join('/')} ${c.expect.codes?.join('|') ?? ''})`);
      const leaked = fx.secrets.filter((s) => res.text.includes(s) && !Object.values(c.principal.cred).includes(s));
      if (leaked.length) failures.push(`${what} LEAKS ${leaked.join(', ')}`);
    }
    const bridgeAfter = victimBridgeRequests(fx);
    const after = await victimState(fx);

    const byPrincipal = new Map<string, number>();
    for (const c of cases) byPrincipal.set(c.principal.name, (byPrincipal.get(c.principal.name) ?? 0) + 1);
    const wrongCred = cases.filter((c) => !c.op.security.includes(c.principal.scheme)).length;
    const rows = Object.entries(after.db)
      .filter(([, r]) => r.length)
      .map(([t, r]) => `${t} ${r.length}`);
    console.log(`victim state compared before/after: ${Object.keys(after.api).length} reads through its own credentials; D1 rows: ${rows.join(', ')}`);
    console.log(
      `authorization matrix: ${matrix.length} of ${ops.length} operations name an owned object; ${cases.length} cases ` +
        `(${cases.length - wrongCred} by principals the operation accepts, ${wrongCred} with a credential it must refuse): ` +
        [...byPrincipal].map(([k, n]) => `${n} × ${k}`).join(', '),
    );
    expect(failures).toEqual([]);
    expect(bridgeAfter - bridgeBefore, "bridge requests for the victim's clients during the attacks").toBe(0);
    expect(after.api).toEqual(before.api);
    expect(after.db).toEqual(before.db);
  }, 120_000);

  it('lets the owner through on every case (so the refusals above are about ownership, not a bad probe)', async () => {
    const owner = (op: Operation): { cred: Cred; password?: string } => {
      if (adminOnly(op)) return { cred: { key: ADMIN.apiKey }, password: ADMIN.password };
      if (op.security.includes('ApiKeyAuth')) return { cred: { key: fx.victim.apiKey }, password: fx.victim.password };
      if (op.security.includes('SessionCookie')) return { cred: { cookie: fx.victim.cookie }, password: fx.victim.password };
      return { cred: { deviceSecret: fx.device1.secret } };
    };
    // reads, then writes, then deletes; the client itself last (everything else hangs off it)
    const rank = (op: Operation) => (op.method === 'GET' ? 0 : op.method !== 'DELETE' ? 1 : pathParams(op).every((p) => p.name === 'clientId') ? 3 : 2);
    const failures: string[] = [];
    const seen: string[] = [];
    for (const op of [...matrix].sort((x, y) => rank(x) - rank(y))) {
      const { targets, missing } = targetsOf(op, fx);
      if (missing.length) continue;
      for (const t of targets) {
        const { cred, password } = owner(op);
        const req = requestOf(op, t.values, password);
        const res = await send(op.method, req.path, cred, req.body, req.headers);
        const code = res.json?.code as string | undefined;
        seen.push(`${op.id} [${t.label}] → ${res.status}${code ? ` ${code}` : ''}`);
        // a new device secret replaces the old one for the device's own calls that follow
        if (res.status === 200 && res.json?.deviceId === fx.device1.deviceId && typeof res.json.secret === 'string') fx.device1.secret = res.json.secret;
        const refused =
          res.status >= 500 ||
          res.status === 401 ||
          (res.status === 403 && code === 'ACCESS_DENIED') ||
          (res.status === 400 && code === 'VALIDATION_ERROR') ||
          (res.status === 404 && OWNERSHIP_CODES.includes(code ?? '')) ||
          (res.status >= 300 && !isErrorShape(res));
        if (refused) failures.push(`${op.id} [${t.label}] as the owner: ${res.status} ${res.text.slice(0, 200)}`);
      }
    }
    console.log(`owner's own calls (${seen.length}):\n  ${seen.join('\n  ')}`);
    expect(failures).toEqual([]);
  }, 120_000);
});
