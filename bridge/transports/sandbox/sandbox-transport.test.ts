// The sandbox transport's inbound messages: a message the edge names (its offline queue) carries the given
// id and send time, and arrives once however often it is handed over — across a restarted session too.
import { describe, expect, it } from 'vitest';
import type { BridgeEvent } from '../../../adapters/protocol.ts';
import { openBridgeDb } from '../../db.ts';
import { sandboxTransport } from './sandbox-transport.ts';

const spec = { clientRef: 7, clientId: 'shop', phoneNumber: '12345678901' };

async function connected(db: ReturnType<typeof openBridgeDb>, events: BridgeEvent[]) {
  const session = sandboxTransport(db, { ackDelayMs: 10_000 })(spec, (e) => events.push(e));
  const started = await session.start();
  if (started.status !== 'connected') await session.sandbox!.scan();
  return session;
}

const messages = (events: BridgeEvent[]) => events.filter((e): e is Extract<BridgeEvent, { kind: 'message' }> => e.kind === 'message');

describe('sandbox inbound', () => {
  it('uses the given id and send time, and emits a named message once', async () => {
    const db = openBridgeDb(':memory:');
    const events: BridgeEvent[] = [];
    const session = await connected(db, events);
    const sentAt = Date.now() - 60_000;
    const params = { from: '15550000001', message: 'held for you', id: 'SBIN00112233445566AA', sentAt };
    const first = await session.sandbox!.inbound(params);
    expect(first).toEqual({ messageId: 'SBIN00112233445566AA', timestamp: sentAt });
    expect(await session.sandbox!.inbound(params)).toEqual(first);
    // a restarted session (say the bridge came back) still knows it
    await session.stop();
    const again = await connected(db, events);
    expect(await again.sandbox!.inbound({ ...params, sentAt: Date.now() })).toEqual(first);
    expect(messages(events).map((m) => [m.messageId, m.timestamp, m.body])).toEqual([['SBIN00112233445566AA', sentAt, 'held for you']]);

    // without an id: a new one each time, sent now
    const a = await again.sandbox!.inbound({ from: '15550000001', message: 'live' });
    const b = await again.sandbox!.inbound({ from: '15550000001', message: 'live' });
    expect(a.messageId).toMatch(/^SBIN[0-9A-F]{16}$/);
    expect(b.messageId).not.toBe(a.messageId);
    expect(Math.abs(a.timestamp - Date.now())).toBeLessThan(5000);
    expect(messages(events)).toHaveLength(3);
    await again.stop();
  });

  it('a refused named message is not remembered: it can go once the refusal is gone', async () => {
    const db = openBridgeDb(':memory:');
    const events: BridgeEvent[] = [];
    const session = sandboxTransport(db)(spec, (e) => events.push(e));
    await session.start(); // waiting for its QR to be scanned: not connected
    const params = { from: '15550000001', message: 'early', id: 'SBINAAAAAAAAAAAAAAAA', sentAt: 1_700_000_000_000 };
    await expect(session.sandbox!.inbound(params)).rejects.toMatchObject({ code: 'SESSION_NOT_CONNECTED' });
    await session.sandbox!.scan();
    expect(await session.sandbox!.inbound(params)).toEqual({ messageId: 'SBINAAAAAAAAAAAAAAAA', timestamp: 1_700_000_000_000 });
    expect(messages(events)).toHaveLength(1);
    await session.stop();
  });
});
