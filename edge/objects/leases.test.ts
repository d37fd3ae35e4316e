// Leases and fencing at the edge (workerd, real Durable Objects and D1, bridges played over real WebSockets):
// one lease per client even when many ask at once, the epoch on every command and event, a move that closes
// the old socket before the new holder hears of it, a silent bridge's clients going to a live one, the auth
// state travelling with the lease, a drain, and a new bridge taking its fair share.
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { LEASE_MS } from '../../adapters/protocol.ts';
import { connectFakeBridge, type FakeBridge, issueBridgeToken, messageEvent } from '../test/fake-bridge.ts';
import { addClient, call, newUser, refOf, until } from '../test/helpers.ts';

let n = 0;
const nextId = () => `lease-bridge-${n++}-${Math.random().toString(36).slice(2, 6)}`;
/** time passes for the link object: its sign of life in memory, as in storage, is `at` */
const setLife = (obj: unknown, at: number) => Object.assign(obj as { life: object }, { life: { seen: at, stored: at } });
const hub = (ref: number) => env.CLIENT_HUB.getByName(`client:${ref}`);
const reqs = (b: FakeBridge, op: string, ref?: number) => b.frames.filter((f) => f.t === 'req' && f.op === op && (ref === undefined || f.clientRef === ref));
const holderOf = async (ref: number) =>
  (await env.DB.prepare('SELECT bridge_id, epoch FROM client_leases WHERE client_ref = ?').bind(ref).first<{ bridge_id: string; epoch: number }>()) ?? null;

const open: FakeBridge[] = [];
async function bridge(): Promise<FakeBridge & { id: string }> {
  const id = nextId();
  const b = Object.assign(await connectFakeBridge(id), { id });
  open.push(b);
  return b;
}

beforeEach(async () => {
  // each test starts with a fleet of its own: earlier tests' bridges are gone
  for (const b of open.splice(0)) b.close();
  await env.DB.prepare('UPDATE bridge_links SET closed_at = ?').bind(Date.now()).run();
});

const statusEvent = (ref: number, id: string, epoch: number) => ({
  t: 'event',
  id,
  clientRef: ref,
  epoch,
  at: Date.now(),
  event: { kind: 'status', status: 'connected', connectedNumber: '972501234567@c.us' },
});
describe('leases', () => {
  it('one lease per client, granted to the least loaded live bridge, even when many ask at once', async () => {
    const [b1, b2] = [await bridge(), await bridge()];
    const u = await newUser();
    const one = await refOf((await addClient(u.apiKey)).clientId);
    const two = await refOf((await addClient(u.apiKey)).clientId);
    // spread: one each
    expect(new Set([(await holderOf(one))?.bridge_id, (await holderOf(two))?.bridge_id])).toEqual(new Set([b1.id, b2.id]));

    // a client nobody holds, asked for by many at once: one grant, one assign
    await env.DB.prepare("INSERT INTO clients (user_id, client_id, phone_number) SELECT user_id, 'raced', '972500000009' FROM clients WHERE id = ?")
      .bind(one)
      .run();
    const raced = await refOf('raced');
    const leases = await Promise.all(Array.from({ length: 10 }, () => hub(raced).ensureHeld(raced)));
    expect(new Set(leases.map((l) => `${l?.bridgeId}/${l?.epoch}`)).size).toBe(1);
    expect(leases[0]!.epoch).toBe(1);
    expect([...reqs(b1, 'assign', raced), ...reqs(b2, 'assign', raced)]).toHaveLength(1);
  });

  it('a bridge D1 saw a moment ago whose link is gone (a runtime restart) is given no clients', async () => {
    const ghost = `a-ghost-${Math.random().toString(36).slice(2, 8)}`; // sorts first among equally loaded bridges
    await issueBridgeToken(ghost);
    await env.DB.prepare('INSERT INTO bridge_links (bridge_id, seen_at, transport) VALUES (?, ?, ?)').bind(ghost, Date.now(), 'sandbox').run();
    const b = await bridge();
    const u = await newUser();
    const ref = await refOf((await addClient(u.apiKey)).clientId);
    expect((await holderOf(ref))?.bridge_id).toBe(b.id);
  });

  it('every command carries the epoch; a bridge that lost its record of the lease is told again, once, and the command goes', async () => {
    const b = await bridge();
    const u = await newUser();
    const { clientId } = await addClient(u.apiKey);
    const ref = await refOf(clientId);
    const epoch = b.epochOf(ref);
    expect(epoch).toBeGreaterThan(0);
    expect(reqs(b, 'start', ref).every((f) => f.epoch === epoch)).toBe(true);
    let forgot = true; // as after a bridge restart between the grant and this send
    const answer = b.answer;
    b.answer = (frame) => {
      if (frame.op === 'send' && forgot) {
        forgot = false;
        return { ok: false, code: 'NOT_HOLDER', message: 'not held here' };
      }
      return answer(frame);
    };
    const sent = await call('/api/send-message', { key: u.apiKey, body: { clientId, number: '15550000001', message: 'hi', wait: true } });
    expect(sent.json.status).toBe('sent');
    expect(reqs(b, 'assign', ref)).toHaveLength(2); // told again, at the same epoch
    expect(reqs(b, 'assign', ref).map((f) => f.epoch)).toEqual([epoch, epoch]);
    expect(reqs(b, 'send', ref).map((f) => f.epoch)).toEqual([epoch, epoch]);
  });

  it('a live socket opened while the lease is told keeps its live frames, whichever reading reaches the link last', async () => {
    const b = await bridge();
    const u = await newUser();
    const { clientId } = await addClient(u.apiKey);
    const ref = await refOf(clientId);
    const res = await hub(ref).fetch('http://hub/live', { headers: { upgrade: 'websocket', 'x-client-ref': String(ref) } });
    const ws = res.webSocket!;
    const seen: string[] = [];
    ws.addEventListener('message', (m) => seen.push(String(m.data)));
    ws.accept();
    // the lease told again with a reading taken before the socket opened, arriving after the socket's own
    const link = env.BRIDGE_LINK.getByName(`bridge:${b.id}`);
    expect(await link.assign({ clientRef: ref, clientId, phoneNumber: '972501234567', epoch: b.epochOf(ref) }, { on: false, seq: 1 })).toMatchObject({
      ok: true,
    });
    b.ws.send(JSON.stringify(messageEvent(ref, 'watched-event-01', 'seen live')));
    await until('the live frame', async () => seen.some((f) => f.includes('seen live')), 3000);
    ws.close();
  });

  it('a move closes the old socket before the new holder hears of it; the old epoch may no longer claim state, only late facts', async () => {
    const b1 = await bridge();
    const u = await newUser();
    const { clientId } = await addClient(u.apiKey);
    const ref = await refOf(clientId);
    const old = b1.epochOf(ref);
    const b2 = await bridge();
    const order: string[] = [];
    for (const [name, b] of [
      ['b1', b1],
      ['b2', b2],
    ] as const) {
      const answer = b.answer;
      b.answer = (frame) => {
        if (frame.clientRef === ref) order.push(`${name}:${frame.op}`);
        return answer(frame);
      };
    }
    expect(await hub(ref).move(ref, b2.id)).toBe('moved');
    expect(order.slice(0, 2)).toEqual(['b1:release', 'b2:assign']);
    expect(b2.epochOf(ref)).toBe(old + 1);
    expect(await holderOf(ref)).toEqual({ bridge_id: b2.id, epoch: old + 1 });

    // the old holder's claim about the session is refused; a message it received before the move is kept
    b1.ws.send(JSON.stringify(statusEvent(ref, 'stale-status-1', old)));
    b1.ws.send(JSON.stringify(messageEvent(ref, 'late-fact-0001', 'late-fact-0001', old)));
    b1.ws.send(JSON.stringify(messageEvent(ref, 'future-fact-01', 'future-fact-01', old, Date.now() + 60_000)));
    b1.ws.send(JSON.stringify(messageEvent(ref, 'before-grant-1', 'before-grant-1', old, Date.now() - 3_600_000)));
    await b1.waitFor((f) => f.some((x) => x.t === 'ack' && x.ids.includes('late-fact-0001')) && f.filter((x) => x.t === 'reject').length >= 3);
    expect(b1.frames.filter((f) => f.t === 'reject').flatMap((f) => f.ids)).toEqual(['stale-status-1', 'future-fact-01', 'before-grant-1']);
    const received = (await call(`/api/received-messages/${clientId}`, { key: u.apiKey })).json.messages.map((m: any) => m.message);
    expect(received).toEqual(['late-fact-0001']);
    // and a command with the old epoch is refused by the link itself, as is a late re-send of the old grant
    const link = env.BRIDGE_LINK.getByName(`bridge:${b1.id}`);
    expect(await link.request(ref, old, 'groups', {})).toMatchObject({ ok: false, code: 'NOT_HOLDER' });
    expect(await link.assign({ clientRef: ref, clientId, phoneNumber: '972501234567', epoch: old }, { on: false, seq: 0 })).toMatchObject({
      ok: false,
      code: 'NOT_HOLDER',
    });
    expect(reqs(b1, 'assign', ref)).toHaveLength(1);
    const link2 = env.BRIDGE_LINK.getByName(`bridge:${b2.id}`);
    expect(await link2.assign({ clientRef: ref, clientId, phoneNumber: '972501234567', epoch: old }, { on: false, seq: 0 })).toMatchObject({
      ok: false,
      code: 'NOT_HOLDER',
    });
  });

  it('one malformed event does not hold back the good ones it travels with', async () => {
    const b = await bridge();
    const u = await newUser();
    const { clientId } = await addClient(u.apiKey);
    const ref = await refOf(clientId);
    const good = messageEvent(ref, 'good-event-0001', 'good', b.epochOf(ref));
    const bad = { ...messageEvent(ref, 'bad-event-00001', 'bad', b.epochOf(ref)), event: { kind: 'message', body: 42 } };
    b.ws.send(JSON.stringify({ t: 'events', events: [good, bad] }));
    await b.waitFor((f) => f.some((x) => x.t === 'ack' && x.ids.includes('good-event-0001')) && f.some((x) => x.t === 'reject'));
    expect(b.frames.find((f) => f.t === 'reject')).toEqual({ t: 'reject', ids: ['bad-event-00001'], reason: 'MALFORMED' });
    expect((await call(`/api/received-messages/${clientId}`, { key: u.apiKey })).json.messages.map((m: any) => m.message)).toEqual(['good']);
  });

  it('a link that stays open but silent (a half-open connection) is dropped and its leases move', async () => {
    const b1 = await bridge();
    const u = await newUser();
    const ref = await refOf((await addClient(u.apiKey)).clientId);
    const b2 = await bridge();
    const link = env.BRIDGE_LINK.getByName(`bridge:${b1.id}`);
    await runInDurableObject(link, (obj, state) => {
      const past = Date.now() - LEASE_MS - 1000;
      setLife(obj, past);
      state.storage.sql.exec("UPDATE meta SET v = ? WHERE k = 'seenAt'", String(past));
      for (const ws of state.getWebSockets()) ws.serializeAttachment({ ...(ws.deserializeAttachment() as object), acceptedAt: past });
    });
    await runDurableObjectAlarm(link);
    await until('the client on b2', async () => (await holderOf(ref))?.bridge_id === b2.id);
    await until('b1 dropped', async () => b1.ws.readyState !== 1);
  });

  it("a silent bridge's clients go to a live one after LEASE_MS, with the auth state the edge kept", async () => {
    const b1 = await bridge();
    const u = await newUser();
    const { clientId } = await addClient(u.apiKey);
    const ref = await refOf(clientId);
    const epoch = b1.epochOf(ref);
    // the session's auth state, as the holder reports it (sealed values the edge never reads)
    b1.ws.send(
      JSON.stringify({
        t: 'event',
        id: 'auth-event-0001',
        clientRef: ref,
        epoch,
        at: Date.now(),
        event: { kind: 'auth', entries: [{ type: 'creds', id: '', value: 'v1:sealed-creds' }] },
      }),
    );
    await b1.waitFor((f) => f.some((x) => x.t === 'ack' && x.ids.includes('auth-event-0001')));
    const b2 = await bridge();
    b1.close();
    const link = env.BRIDGE_LINK.getByName(`bridge:${b1.id}`);
    // not yet: within LEASE_MS the old bridge may still hold its socket (it fences itself at FENCE_MS)
    await runDurableObjectAlarm(link);
    expect((await holderOf(ref))?.bridge_id).toBe(b1.id);
    // LEASE_MS of silence later
    await runInDurableObject(link, (obj, state) => {
      setLife(obj, Date.now() - LEASE_MS - 1000);
      state.storage.sql.exec("UPDATE meta SET v = ? WHERE k = 'seenAt'", String(Date.now() - LEASE_MS - 1000));
    });
    await runDurableObjectAlarm(link);
    await until('the client on b2', async () => (await holderOf(ref))?.bridge_id === b2.id);
    const assign = reqs(b2, 'assign', ref).at(-1);
    expect(assign.epoch).toBe(epoch + 1);
    expect(assign.params.auth).toEqual([{ type: 'creds', id: '', value: 'v1:sealed-creds' }]);
    // a late auth write from the old lease changes nothing
    expect(await hub(ref).storeAuth(epoch, [{ type: 'creds', id: '', value: 'v1:stale' }])).toBe(false);
  });

  it('a drain hands every client to another bridge and says so; a draining bridge is given no new clients', async () => {
    const b1 = await bridge();
    const u = await newUser();
    const refs = [await refOf((await addClient(u.apiKey)).clientId), await refOf((await addClient(u.apiKey)).clientId)];
    const b2 = await bridge();
    b1.ws.send(JSON.stringify({ t: 'drain' }));
    const frames = await b1.waitFor((f) => f.some((x) => x.t === 'drained'));
    expect(frames.find((f) => f.t === 'drained')).toEqual({ t: 'drained', moved: 2, released: 0 });
    for (const ref of refs) expect((await holderOf(ref))?.bridge_id).toBe(b2.id);
    const later = await refOf((await addClient(u.apiKey)).clientId);
    expect((await holderOf(later))?.bridge_id).toBe(b2.id);
  });

  it('a new bridge takes its fair share at hello', async () => {
    const b1 = await bridge();
    const u = await newUser();
    const refs: number[] = [];
    for (let i = 0; i < 4; i++) refs.push(await refOf((await addClient(u.apiKey)).clientId));
    expect(new Set(await Promise.all(refs.map(async (r) => (await holderOf(r))?.bridge_id)))).toEqual(new Set([b1.id]));
    const b2 = await bridge();
    await until('two clients on b2', async () => (await Promise.all(refs.map(holderOf))).filter((h) => h?.bridge_id === b2.id).length === 2);
    expect(reqs(b1, 'release')).toHaveLength(2);
    expect(reqs(b2, 'assign')).toHaveLength(2);
  });
});
