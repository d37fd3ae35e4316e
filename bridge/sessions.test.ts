import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BridgeEvent } from '../adapters/protocol.ts';
import { openBridgeDb } from './db.ts';
import { Sessions } from './sessions.ts';
import { sandboxTransport } from './transports/sandbox/sandbox-transport.ts';
import type { TransportFactory } from './transports/transport.ts';

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

  it('answers 463 (WHATSAPP_RATE_LIMIT) past its daily reach-out limit, as WhatsApp does; contacts who wrote are never limited', async () => {
    const db = openBridgeDb(':memory:');
    const sessions = new Sessions({ factory: sandboxTransport(db, { reachOutLimit: 2 }), emit: () => {}, allowPrivateMedia: false, db });
    await sessions.start({ clientRef: 4, clientId: 'c4', phoneNumber: '12345678904' });
    await sessions.sandbox(4, (s) => s.scan());
    await sessions.sandbox(4, (s) => s.inbound({ from: '15550000099', message: 'hi' }));
    await sessions.send(4, { to: '15550000001', text: 'first new contact' });
    await sessions.send(4, { to: '15550000002', text: 'second new contact' });
    await expect(sessions.send(4, { to: '15550000003', text: 'one too many' })).rejects.toMatchObject({
      code: 'WHATSAPP_RATE_LIMIT',
      message: expect.stringMatching(/^463/),
    });
    // refused, not sent: the same key goes once the contact is no longer limited (here: they wrote first)
    await expect(sessions.send(4, { to: '15550000004', text: 'keyed', key: 'q-463' })).rejects.toMatchObject({ code: 'WHATSAPP_RATE_LIMIT' });
    await sessions.sandbox(4, (s) => s.inbound({ from: '15550000004', message: 'hello?' }));
    expect(await sessions.send(4, { to: '15550000004', text: 'keyed', key: 'q-463' })).toMatchObject({ messageId: expect.any(String) });
    await sessions.send(4, { to: '15550000001', text: 'already reached today' });
    await sessions.send(4, { to: '15550000099', text: 'wrote to us first' });
    expect((await sessions.sandbox(4, (s) => s.sent())).map((m) => m.to)).toEqual(['15550000001', '15550000002', '15550000004', '15550000001', '15550000099']);
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

describe('Sessions when a send hangs or the bridge dies mid-send', () => {
  /** A transport over a shared simulated network; `hang` makes sends leave but never answer. */
  const network: { to: string; text?: string }[] = [];
  let hang = false;
  const factory: TransportFactory = () => ({
    start: async () => ({ status: 'connected', connectedNumber: '1@c.us' }),
    stop: async () => {},
    logout: async () => {},
    send: async (to, content) => {
      network.push({ to, text: content.text });
      if (hang || content.text === 'stuck') await new Promise(() => {}); // left the phone; the answer never comes
      return { messageId: `N${network.length}`, timestamp: Date.now() };
    },
    media: async (id) => ({ data: new Uint8Array(id === 'huge' ? 6 * 1024 * 1024 : 10), mimetype: 'x/y', filename: null }),
    read: async () => {},
    groups: async () => [],
  });
  const spec = { clientRef: 9, clientId: 'c9', phoneNumber: '12345678909' };

  it('a keyed send cut off between leaving and being recorded is never sent again after a restart', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sb-sessions-')), 'bridge.sqlite');
    network.length = 0;
    hang = true;
    const before = new Sessions({ factory, emit: () => {}, allowPrivateMedia: false, db: openBridgeDb(file), opTimeoutMs: 60_000 });
    await before.start(spec);
    void before.send(9, { to: '15550000001', text: 'your code is 4711', key: 'scheduled:42' }).catch(() => {});
    for (let i = 0; i < 50 && network.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(network).toHaveLength(1);
    // the process dies here: a new bridge opens the same SQLite file and the edge asks again
    hang = false;
    const after = new Sessions({ factory, emit: () => {}, allowPrivateMedia: false, db: openBridgeDb(file) });
    await after.start(spec);
    await expect(after.send(9, { to: '15550000001', text: 'your code is 4711', key: 'scheduled:42' })).rejects.toMatchObject({ code: 'SEND_OUTCOME_UNKNOWN' });
    expect(network).toHaveLength(1);
    // a key whose send was refused before leaving stays free for another try
    const other = await after.send(9, { to: '15550000001', text: 'next', key: 'scheduled:43' });
    expect(await after.send(9, { to: '15550000001', text: 'next', key: 'scheduled:43' })).toEqual(other);
    expect(network).toHaveLength(2);
  });

  it("a hung send fails after the time limit and the client's queue moves on", async () => {
    network.length = 0;
    hang = false;
    const sessions = new Sessions({ factory, emit: () => {}, allowPrivateMedia: false, db: openBridgeDb(':memory:'), opTimeoutMs: 200 });
    await sessions.start(spec);
    const stuck = sessions.send(9, { to: '15550000001', text: 'stuck' });
    const next = sessions.send(9, { to: '15550000002', text: 'next' });
    await expect(stuck).rejects.toMatchObject({ code: 'BRIDGE_OP_TIMEOUT' });
    await expect(next).resolves.toMatchObject({ messageId: expect.any(String) });
    expect(network.map((m) => m.text)).toEqual(['stuck', 'next']);
  });

  it('refuses media too large to travel over the link, instead of closing it for every client', async () => {
    const sessions = new Sessions({ factory, emit: () => {}, allowPrivateMedia: false, db: openBridgeDb(':memory:') });
    await sessions.start(spec);
    await expect(sessions.media(9, 'huge')).rejects.toMatchObject({ code: 'MEDIA_TOO_LARGE' });
    await expect(sessions.media(9, 'small')).resolves.toMatchObject({ mimetype: 'x/y' });
  });
});
