import { describe, expect, it } from 'vitest';
import type { BridgeEvent } from '../adapters/protocol.ts';
import { openBridgeDb } from './db.ts';
import { Sessions } from './sessions.ts';
import { sandboxTransport } from './transports/sandbox/sandbox-transport.ts';

describe('Sessions over the sandbox', () => {
  it("sends a keyed message once, however often it is asked, and serializes a client's operations", async () => {
    const db = openBridgeDb(':memory:');
    const events: BridgeEvent[] = [];
    const sessions = new Sessions({ factory: sandboxTransport(db, { ackDelayMs: 10_000 }), emit: (_ref, e) => events.push(e), allowPrivateMedia: false, db });
    const spec = { clientRef: 1, clientId: 'c1', phoneNumber: '12345678901' };
    const started = await sessions.start(spec);
    expect(started.status).toBe('pending_auth');
    await sessions.sandbox(1, (s) => s.scan());
    const [a, b] = await Promise.all([
      sessions.send(1, { to: '15550000001', text: 'hi', key: 'scheduled:7' }),
      sessions.send(1, { to: '15550000001', text: 'hi', key: 'scheduled:7' }),
    ]);
    expect(a).toEqual(b);
    await sessions.send(1, { to: '15550000001', text: 'unkeyed' });
    await sessions.send(1, { to: '15550000001', text: 'unkeyed' });
    const batch = await sessions.sendBatch(1, {
      items: [
        { to: '15550000002', text: 'b1', key: 'scheduled:8' },
        { to: '15550000001', text: 'hi', key: 'scheduled:7' },
        { to: 'not-a-number', text: 'bad' },
      ],
    });
    expect(batch[0]).toMatchObject({ ok: true });
    expect(batch[1]).toEqual({ ok: true, ...a });
    expect(batch[2]).toMatchObject({ ok: false, code: 'VALIDATION_ERROR' });
    const outbox = await sessions.sandbox(1, (s) => s.sent());
    expect(outbox.map((m) => m.body)).toEqual(['hi', 'unkeyed', 'unkeyed', 'b1']);
    await sessions.stopAll();
  });

  it('refuses sends before pairing and to read-only or unknown groups', async () => {
    const db = openBridgeDb(':memory:');
    const sessions = new Sessions({ factory: sandboxTransport(db), emit: () => {}, allowPrivateMedia: false, db });
    await sessions.start({ clientRef: 2, clientId: 'c2', phoneNumber: '12345678902' });
    await expect(sessions.send(2, { to: '15550000001', text: 'x' })).rejects.toMatchObject({ code: 'SESSION_NOT_CONNECTED' });
    await sessions.sandbox(2, (s) => s.scan());
    await expect(sessions.send(2, { to: '120363000000000002@g.us', text: 'x' })).rejects.toMatchObject({ code: 'READ_ONLY_CHAT' });
    await expect(sessions.send(2, { to: '120363999999999999@g.us', text: 'x' })).rejects.toMatchObject({ code: 'GROUP_NOT_FOUND' });
    await expect(sessions.send(3, { to: '15550000001', text: 'x' })).rejects.toMatchObject({ code: 'SESSION_NOT_FOUND' });
    await sessions.stopAll();
  });
});
