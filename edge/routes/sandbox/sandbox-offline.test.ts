// The sandbox network's offline queue (services/sandbox-offline.ts), in workerd with a bridge played over a
// real WebSocket: a message for an offline number answers 202 queued and is held; it is handed over in
// order, with its id and send time, once the number is back; the queue is bounded; deliveries do not race.
import { env } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { deliverHeld, kickHeld, MAX_HELD } from '../../services/sandbox-offline.ts';
import { connectFakeBridge, type FakeBridge } from '../../test/fake-bridge.ts';
import { addClient, call, newUser, refOf, until } from '../../test/helpers.ts';

/** The `sandbox.inbound` requests a bridge got, in order. */
const inbounds = (bridge: FakeBridge) => bridge.frames.filter((f) => f.t === 'req' && f.op === 'sandbox.inbound').map((f) => f.params);

/** The bridges a test opened: closed after it, whatever happened. */
const opened: FakeBridge[] = [];
afterEach(() => {
  for (const bridge of opened.splice(0)) bridge.close();
});

/** A bridge that answers `sandbox.inbound` with the id it was given (as the sandbox transport does). */
async function sandboxBridge(): Promise<FakeBridge> {
  const bridge = await connectFakeBridge();
  opened.push(bridge);
  const fallback = bridge.answer;
  bridge.answer = (frame) =>
    frame.op === 'sandbox.inbound'
      ? { ok: true, result: { messageId: frame.params.id ?? 'SBINUNNAMED', timestamp: frame.params.sentAt ?? Date.now() } }
      : fallback(frame);
  return bridge;
}

async function setup() {
  const u = await newUser();
  const { clientId } = await addClient(u.apiKey);
  const ref = await refOf(clientId);
  const inbound = (message: string, extra: Record<string, unknown> = {}) =>
    call(`/api/sandbox/${clientId}/inbound`, { key: u.apiKey, body: { from: '+15550000001', message, ...extra } });
  const held = async () =>
    (await env.DB.prepare('SELECT id, payload FROM sandbox_offline WHERE client_ref = ? ORDER BY rowid').bind(ref).all<{ id: string; payload: string }>())
      .results;
  return { u, clientId, ref, inbound, held };
}

describe('the sandbox offline queue', () => {
  it('holds a message for an offline number (202 queued), and a later one behind it; both go in order once a bridge is back', async () => {
    const { ref, inbound, held } = await setup(); // no bridge: BRIDGE_UNAVAILABLE
    const first = await inbound('while offline');
    expect(first.status).toBe(202);
    expect(first.json).toEqual({ messageId: expect.stringMatching(/^SBIN[0-9A-F]{16}$/), timestamp: expect.any(Number), queued: true });
    expect((await held()).map((r) => [r.id, JSON.parse(r.payload)])).toEqual([
      [first.json.messageId, { from: '15550000001', message: 'while offline', sentAt: first.json.timestamp }],
    ]);

    const bridge = await sandboxBridge();
    // the number is reachable now, but a message is held for it: the new one waits behind it, and both go
    const second = await inbound('after it');
    expect([second.status, second.json.queued]).toEqual([202, true]);
    await until('both handed over', async () => (await held()).length === 0 && inbounds(bridge).length >= 2);
    expect(inbounds(bridge)).toEqual([
      { from: '15550000001', message: 'while offline', id: first.json.messageId, sentAt: first.json.timestamp },
      { from: '15550000001', message: 'after it', id: second.json.messageId, sentAt: second.json.timestamp },
    ]);

    // nothing held: delivered at once, 200 with the id the edge gave it
    const third = await inbound('online');
    expect(third.status).toBe(200);
    expect(third.json).toEqual({ messageId: expect.stringMatching(/^SBIN[0-9A-F]{16}$/), timestamp: expect.any(Number) });
    expect(inbounds(bridge).at(-1)).toEqual({ from: '15550000001', message: 'online', id: third.json.messageId });
    expect(await deliverHeld(env, ref)).toEqual({ delivered: 0, left: false });
  });

  it('the session reporting connected hands the held messages over', async () => {
    const { ref, inbound, held } = await setup();
    const bridge = await sandboxBridge();
    const answer = bridge.answer;
    let online = false;
    const accepted: string[] = [];
    bridge.answer = (frame) => {
      if (frame.op !== 'sandbox.inbound') return answer(frame);
      if (!online) return { ok: false, code: 'SESSION_NOT_CONNECTED', message: 'not connected' };
      accepted.push(frame.params.id);
      return answer(frame);
    };
    const ids: string[] = [];
    for (const text of ['one', 'two', 'three']) {
      const res = await inbound(text);
      expect([res.status, res.json.queued]).toEqual([202, true]);
      ids.push(res.json.messageId);
    }
    expect((await held()).map((r) => r.id)).toEqual(ids);
    await new Promise((r) => setTimeout(r, 300)); // the attempts each message kicked are over (refused at once)
    expect(accepted).toEqual([]);
    online = true;
    // the session reports connected, under the lease the bridge holds the number at (its requests carry it)
    const epoch = bridge.frames.findLast((f) => f.t === 'req' && f.clientRef === ref)?.epoch;
    const connected = { kind: 'status', status: 'connected', connectedNumber: '972501234567@c.us' };
    bridge.ws.send(JSON.stringify({ t: 'event', id: `evt-connected-${ref}`, clientRef: ref, epoch, at: Date.now(), event: connected }));
    await until('handed over', async () => (await held()).length === 0, 10_000);
    expect(accepted).toEqual(ids);
    expect(
      inbounds(bridge)
        .slice(-3)
        .map((p) => p.message),
    ).toEqual(['one', 'two', 'three']);
  });

  it('a kick that comes while an attempt is finding the number away is not lost: it looks again when that attempt ends', async () => {
    const { ref, inbound, held } = await setup();
    const id = (await inbound('held')).json.messageId as string; // no bridge: held
    await new Promise((r) => setTimeout(r, 300)); // the attempt it kicked is over (refused at once)
    const bridge = await sandboxBridge();
    const answer = bridge.answer;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let asked = 0;
    bridge.answer = async (frame) => {
      if (frame.op !== 'sandbox.inbound') return answer(frame);
      // the first attempt is answered "away" only after the second kick came (the bridge linked again meanwhile)
      if (++asked === 1) {
        await gate;
        return { ok: false, code: 'SESSION_NOT_CONNECTED', message: 'not connected yet' };
      }
      return answer(frame);
    };
    const background: Promise<unknown>[] = [];
    kickHeld(env, ref, (p) => background.push(p));
    await until('the first attempt asked', async () => asked === 1);
    kickHeld(env, ref, (p) => background.push(p)); // the link's hello, while the first attempt runs
    release();
    await until('handed over', async () => (await held()).length === 0, 10_000);
    expect(inbounds(bridge).map((p) => p.id)).toEqual([id, id]);
    await Promise.all(background);
  });

  it('stops at the first failure and keeps the rest; a message that can never go is dropped, not blocking the rest', async () => {
    const { ref, inbound, held } = await setup();
    const ids = [];
    for (const text of ['a', 'b', 'c']) ids.push((await inbound(text)).json.messageId);
    const bridge = await sandboxBridge();
    const answer = bridge.answer;
    bridge.answer = (frame) => {
      if (frame.op === 'sandbox.inbound' && frame.params.message === 'b') return { ok: false, code: 'BRIDGE_TIMEOUT', message: 'slow' };
      return answer(frame);
    };
    expect(await deliverHeld(env, ref)).toEqual({ delivered: 1, left: true });
    expect((await held()).map((r) => r.id)).toEqual(ids.slice(1));
    bridge.answer = (frame) => {
      if (frame.op === 'sandbox.inbound' && frame.params.message === 'b') return { ok: false, code: 'VALIDATION_ERROR', message: 'never' };
      return answer(frame);
    };
    expect(await deliverHeld(env, ref)).toEqual({ delivered: 1, left: false });
    expect(await held()).toEqual([]);
  });

  it('two deliveries at once hand each message over under one id, in order', async () => {
    const { ref, inbound, held } = await setup();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await inbound(`m${i}`)).json.messageId);
    const bridge = await sandboxBridge();
    const [a, b] = await Promise.all([deliverHeld(env, ref), deliverHeld(env, ref)]);
    expect(a.left || b.left).toBe(false);
    expect(await held()).toEqual([]);
    const asked = inbounds(bridge);
    // each message went with the id it was held under (the bridge emits an id once), and the order held
    for (const p of asked) expect(p.id).toBe(ids[Number(p.message.slice(1))]);
    expect([...new Set(asked.map((p) => p.id))]).toEqual(ids);
  });

  it(`holds at most ${MAX_HELD} per number: beyond, 429 OFFLINE_QUEUE_FULL; validation still answers 400`, async () => {
    const { ref, inbound, held } = await setup();
    const insert = env.DB.prepare('INSERT INTO sandbox_offline (id, client_ref, payload) VALUES (?, ?, \'{"from":"15550000001","message":"x"}\')');
    const rows = Array.from({ length: MAX_HELD }, (_, i) => insert.bind(`SBINFILL${ref}-${i}`, ref));
    for (let i = 0; i < rows.length; i += 100) await env.DB.batch(rows.slice(i, i + 100));
    const full = await inbound('one too many');
    expect([full.status, full.json.code, full.headers.get('retry-after')]).toEqual([429, 'OFFLINE_QUEUE_FULL', '60']);
    expect((await held()).length).toBe(MAX_HELD);
    expect((await inbound('', {})).status).toBe(400);
    expect((await inbound('bad media', { mediaUrl: 'https://example.com/file.exe' })).json.code).toBe('MEDIA_ERROR');
    expect((await inbound('bad sender', { from: '123456789012345678@lid' })).json.code).toBe('VALIDATION_ERROR');
  });

  it('a refusal that is not an outage is the answer, and nothing is held', async () => {
    const { inbound, held } = await setup();
    const bridge = await sandboxBridge();
    const answer = bridge.answer;
    bridge.answer = (frame) => (frame.op === 'sandbox.inbound' ? { ok: false, code: 'GROUP_NOT_FOUND', message: 'No such group' } : answer(frame));
    const res = await inbound('to a group', { groupId: '120363999999999999@g.us' });
    expect([res.status, res.json.code]).toEqual([404, 'GROUP_NOT_FOUND']);
    expect(await held()).toEqual([]);
  });
});
