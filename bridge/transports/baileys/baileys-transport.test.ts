// The Baileys session's life at its socket boundary: Baileys' own event emitter, its Boom errors in the
// shapes its socket makes them (a server <failure> carries the node's attrs; a refused HTTP upgrade is caught
// from the real WebSocket client), and one real makeWASocket against a local server that refuses the upgrade.
import { DisconnectReason, initAuthCreds } from '@whiskeysockets/baileys';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { batch } from '../../../test/fixtures/baileys/rc14.ts';
import { openBridgeDb } from '../../db.ts';
import { sealerFor } from '../../seal.ts';
import { BaileysSession } from './baileys-transport.ts';
import { harness, logger, spec } from './harness.ts';
import { CAPS } from './reconnect.ts';

const credsRows = (h: ReturnType<typeof harness>) => (h.db.prepare('SELECT count(*) AS n FROM baileys_creds').get() as { n: number }).n;
const statuses = (h: ReturnType<typeof harness>) => h.ofKind('status').map((e) => `${e.status}${e.reason ? `: ${e.reason}` : ''}`);

describe('Baileys session', () => {
  it('starts with a QR (PNG) and connects when the phone scans it', async () => {
    const h = harness();
    const started = h.session.start();
    await h.tick();
    h.sockets[0]!.emit('connection.update', { qr: '2@abc,def,ghi' });
    const result = await started;
    expect(result.status).toBe('pending_auth');
    expect(Buffer.from(result.qr!.png, 'base64').subarray(1, 4).toString()).toBe('PNG');
    expect(h.events.map((e) => e.kind)).toEqual(['qr', 'status']);
    h.sockets[0]!.emit('connection.update', { qr: '2@new,qr' });
    await h.until(() => h.ofKind('qr').length >= 2);
    expect(h.ofKind('qr')).toHaveLength(2);
    h.open();
    await h.tick();
    expect(h.events.at(-1)).toEqual({ kind: 'status', status: 'connected', connectedNumber: '972500000001@c.us' });
    expect(h.configs[0]!.auth).toBeDefined();
    expect(h.configs[0]!.cachedGroupMetadata).toBeTypeOf('function');
  });

  it('pairs by phone code: asks rc14 for the code only once the socket stands at the QR stage, shows no QR, and connects', async () => {
    const h = harness();
    const started = h.session.start({ pairingMethod: 'code' });
    await h.tick();
    const sock = h.sockets[0]!;
    expect(sock.requestPairingCode).not.toHaveBeenCalled(); // before the QR stage rc14 throws 428
    sock.emit('connection.update', { qr: '2@abc,def,ghi' });
    const result = await started;
    expect(sock.requestPairingCode).toHaveBeenCalledWith('972500000001');
    expect(result).toEqual({ status: 'pending_auth', connectedNumber: null, pairingCode: 'K7XQ2M9P' });
    expect(h.events.map((e) => e.kind)).toEqual(['pairing_code', 'status']);
    // the next QR refresh asks nothing more and shows no QR
    sock.emit('connection.update', { qr: '2@new,qr' });
    await h.tick();
    expect(sock.requestPairingCode).toHaveBeenCalledTimes(1);
    expect(h.ofKind('qr')).toHaveLength(0);
    // asked for a code but not paired: an unscanned timeout is still a pairing that did not happen
    h.close(DisconnectReason.timedOut, 'QR refs attempts ended', {});
    await h.until(() => h.sockets.length === 2);
    expect(h.events.at(-1)).toMatchObject({ kind: 'status', reason: expect.stringContaining('expired unscanned') });
    // a failed request (rc14's 428) is asked again on the next QR update
    h.last().requestPairingCode.mockRejectedValueOnce(new Error('Connection Closed'));
    h.last().emit('connection.update', { qr: '2@third' });
    await h.tick();
    h.last().emit('connection.update', { qr: '2@fourth' });
    await h.until(() => h.last().requestPairingCode.mock.calls.length === 2);
    await h.until(() => h.ofKind('pairing_code').length === 2);
    h.open();
    await h.tick();
    expect(h.events.at(-1)).toMatchObject({ kind: 'status', status: 'connected' });
  });

  it('a QR-stage socket asked for a code later (the owner switched) asks at once', async () => {
    const h = harness();
    void h.session.start();
    await h.tick();
    h.sockets[0]!.emit('connection.update', { qr: '2@abc' });
    await h.until(() => h.ofKind('qr').length === 1);
    const result = await h.session.start({ pairingMethod: 'code' });
    expect(result.pairingCode).toBe('K7XQ2M9P');
    expect(result.qr).toBeUndefined();
  });

  it('restarts at once on 515, reconnects with backoff on 428/408/500/503, never more than one socket', async () => {
    const h = harness();
    await h.connected();
    h.close(DisconnectReason.restartRequired);
    await h.tick();
    expect(h.sockets).toHaveLength(2);
    expect(h.delays).toEqual([]);
    for (const code of [DisconnectReason.connectionClosed, DisconnectReason.timedOut, DisconnectReason.badSession, DisconnectReason.unavailableService]) {
      h.close(code);
      await h.tick(40);
    }
    expect(h.sockets).toHaveLength(6);
    expect(h.delays).toEqual([0, 1, 2, 3]);
    expect(statuses(h)).toContain('disconnected: connection lost (408); reconnecting');
    // events of a replaced socket are ignored
    h.sockets[0]!.emit('messages.upsert', { messages: batch(), type: 'notify' });
    await h.tick();
    expect(h.ofKind('message')).toHaveLength(0);
    h.open();
    await h.tick();
    h.close(DisconnectReason.connectionClosed);
    await h.tick(40);
    expect(h.delays.at(-1)).toBe(0);
  });

  it('on a server 401 (logged out) stops, erases its auth state and messages, and asks for pairing', async () => {
    const h = harness();
    void h.session.start();
    await h.tick();
    h.sockets[0]!.emit('creds.update', {});
    await h.tick();
    expect(credsRows(h)).toBe(1);
    h.close(DisconnectReason.loggedOut);
    await h.tick(40);
    expect(h.sockets).toHaveLength(1);
    expect(h.events.at(-1)).toMatchObject({ kind: 'status', status: 'logged_out' });
    expect(credsRows(h)).toBe(0);
    void h.session.start();
    await h.tick();
    expect(h.sockets).toHaveLength(2);
  });

  it('an HTTP 403 at the handshake (a proxy, a blocked IP) keeps the credentials and retries; a server 403 <failure> logs out', async () => {
    const h = harness();
    await h.connected();
    h.sockets[0]!.emit('creds.update', {});
    await h.tick();
    h.close(403, 'WebSocket upgrade refused (HTTP 403)', { handshake: true });
    await h.tick(40);
    expect(credsRows(h)).toBe(1);
    expect(h.sockets).toHaveLength(2);
    expect(h.events.at(-1)).toMatchObject({ kind: 'status', status: 'disconnected', reason: expect.stringContaining('HTTP 403') });
    h.close(DisconnectReason.forbidden); // <failure reason="403">: WhatsApp itself
    await h.tick(40);
    expect(credsRows(h)).toBe(0);
    expect(h.events.at(-1)).toMatchObject({ kind: 'status', status: 'logged_out' });
  });

  it('a refused upgrade answered with a redirect (a captive portal) closes the socket as a handshake refusal, without throwing', async () => {
    const h = harness();
    void h.session.start();
    await h.tick();
    expect(() => h.last().ws!.emit('unexpected-response', {}, { statusCode: 302, resume: () => {} })).not.toThrow();
    await h.until(() => h.sockets.length === 2);
    expect(h.last().end).not.toHaveBeenCalled();
    expect(h.sockets[0]!.end).toHaveBeenCalledWith(expect.objectContaining({ data: { handshake: true, http: 302 } }));
    expect(h.events.at(-1)).toMatchObject({ kind: 'status', reason: expect.stringContaining('HTTP 302') });
  });

  it('against a real server that refuses the WebSocket upgrade with 403, the real socket closes (rc14 alone would hang) and the pairing stays', async () => {
    const server = http.createServer((_req, res) => res.writeHead(403).end());
    server.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const db = openBridgeDb(':memory:');
    const sealer = sealerFor(Buffer.alloc(32, 7));
    const creds = { ...initAuthCreds(), me: { id: '972500000001:3@s.whatsapp.net' } };
    db.prepare('INSERT INTO baileys_creds (client_ref, creds) VALUES (?, ?)').run(spec.clientRef, sealer.seal(JSON.stringify(creds)));
    const events: { kind: string; status?: string; reason?: string }[] = [];
    const retried = vi.fn(() => 60_000);
    const session = new BaileysSession(spec, (e) => events.push(e), db, {
      logger,
      sealer,
      delay: retried,
      startTimeoutMs: 3000,
      socketConfig: { waWebSocketUrl: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws/chat`, connectTimeoutMs: 20_000 },
    });
    try {
      await session.start();
      await vi.waitFor(() => expect(retried).toHaveBeenCalled(), { timeout: 5000 });
      expect(events.at(-1)).toMatchObject({ status: 'disconnected', reason: expect.stringContaining('HTTP 403') });
      expect((db.prepare('SELECT count(*) AS n FROM baileys_creds').get() as { n: number }).n).toBe(1);
    } finally {
      await session.stop();
      server.close();
    }
  });

  it('on 405 (client too old) fetches WhatsApp Web’s version and reconnects with it; stops with a reason if that does not help', async () => {
    const fetchVersion = vi.fn(async () => [2, 3000, 1099999999] as [number, number, number]);
    const h = harness({ fetchVersion });
    await h.connected();
    h.close(405);
    await h.until(() => h.sockets.length === 2);
    expect(fetchVersion).toHaveBeenCalledTimes(1);
    expect(h.configs[1]!.version).toEqual([2, 3000, 1099999999]);
    for (let i = 0; i < CAPS.version; i++) {
      h.close(405);
      await h.tick(40);
    }
    expect(h.sockets).toHaveLength(1 + CAPS.version);
    expect(h.events.at(-1)).toMatchObject({ kind: 'status', status: 'disconnected', reason: expect.stringContaining('405') });
  });

  it('an unpaired number whose QR codes run out (408) gets one more round, then stops: pairing timed out', async () => {
    const h = harness();
    void h.session.start();
    await h.tick();
    h.sockets[0]!.emit('connection.update', { qr: '2@a,b,c' });
    await h.until(() => h.ofKind('qr').length === 1);
    h.close(DisconnectReason.timedOut, 'QR refs attempts ended', {});
    await h.tick(40);
    expect(h.sockets).toHaveLength(2);
    h.close(DisconnectReason.timedOut, 'QR refs attempts ended', {});
    await h.tick(40);
    expect(h.sockets).toHaveLength(CAPS.qrRounds);
    expect(h.events.at(-1)).toMatchObject({ kind: 'status', status: 'disconnected', reason: expect.stringContaining('pairing timed out') });
  });

  it('a 515 loop and a persistent 500 stop after their caps with the reason; an open in between resets the count', async () => {
    const h = harness();
    await h.connected();
    for (let i = 0; i <= CAPS.restart; i++) {
      h.close(DisconnectReason.restartRequired);
      await h.tick(10);
    }
    expect(h.sockets).toHaveLength(1 + CAPS.restart);
    expect(h.events.at(-1)).toMatchObject({ status: 'disconnected', reason: expect.stringContaining('515') });

    const g = harness();
    await g.connected();
    for (let i = 0; i < CAPS.badSession; i++) {
      g.close(DisconnectReason.badSession);
      await g.tick(30);
    }
    g.open(); // it healed: the count starts again
    await g.tick();
    for (let i = 0; i <= CAPS.badSession; i++) {
      g.close(DisconnectReason.badSession);
      await g.tick(30);
    }
    expect(g.sockets).toHaveLength(1 + 2 * CAPS.badSession);
    expect(g.events.at(-1)).toMatchObject({ status: 'disconnected', reason: expect.stringContaining('500') });
  });

  it('a connected socket that goes silent is probed; an answered probe keeps it, an unanswered one restarts it with the reason', async () => {
    const h = harness({ liveness: { silentMs: 200, probeTimeoutMs: 100 } });
    await h.connected();
    const sock = h.sockets[0]!;
    // frames keep coming (keep-alive pongs, messages): nothing is probed
    for (let i = 0; i < 8; i++) {
      sock.ws.emit('message', Buffer.from('frame'));
      await h.tick(50);
    }
    expect(sock.query).not.toHaveBeenCalled();
    // silence: a ping is sent; WhatsApp answers, so the socket stays
    await h.until(() => sock.query.mock.calls.length >= 1);
    expect(sock.query.mock.calls[0]![0]).toMatchObject({ tag: 'iq', attrs: { xmlns: 'w:p', type: 'get' }, content: [{ tag: 'ping' }] });
    await h.tick(60);
    expect(h.sockets).toHaveLength(1);
    // silence again, and the ping goes unanswered: the socket is restarted, and the owner hears why
    sock.query.mockImplementation(() => new Promise(() => {}));
    await h.until(() => h.sockets.length === 2);
    expect(sock.end).toHaveBeenCalled();
    expect(
      h
        .ofKind('status')
        .map((e) => e.reason)
        .filter(Boolean),
    ).toContainEqual(expect.stringContaining('silent for'));
  });

  it('on 440 (connection replaced) stops without fighting the other socket', async () => {
    const h = harness();
    await h.connected();
    h.close(DisconnectReason.connectionReplaced);
    await h.tick(40);
    expect(h.sockets).toHaveLength(1);
    expect(h.events.at(-1)).toMatchObject({ kind: 'status', status: 'disconnected', reason: expect.stringContaining('replaced') });
  });

  it('sends without link previews, serves getMessage from sent messages, and tells 463 apart', async () => {
    const h = harness();
    await h.connected();
    const sock = h.sockets[0]!;
    const sent = await h.session.send('+15550000001', { text: 'see https://example.com' });
    expect(sock.sendMessage).toHaveBeenCalledWith('15550000001@s.whatsapp.net', { text: 'see https://example.com', linkPreview: null }, undefined);
    const stored = await h.configs[0]!.getMessage!({ id: sent.messageId, remoteJid: '15550000001@s.whatsapp.net' });
    expect(stored?.conversation).toBe('see https://example.com');
    expect(await h.configs[0]!.getMessage!({ id: 'unknown' })).toBeUndefined();
    // a contact known only by LID is sent to at its LID
    await h.session.send('123456789012345@lid', { text: 'hello' });
    expect(sock.sendMessage).toHaveBeenLastCalledWith('123456789012345@lid', { text: 'hello', linkPreview: null }, undefined);
    // a queued send's WhatsApp id comes from its queue id: sent again (by the next holder after a crash), it is the same message
    await h.session.send('+15550000001', { text: 'keyed' }, { key: 'q-123' });
    const keyed = vi.mocked(sock.sendMessage).mock.lastCall?.[2] as { messageId: string };
    expect(keyed.messageId).toMatch(/^3EB0[0-9A-F]{18}$/);
    await h.session.send('+15550000001', { text: 'keyed' }, { key: 'q-123' });
    expect(vi.mocked(sock.sendMessage).mock.lastCall?.[2]).toEqual(keyed);
    await h.session.send('+15550000001', { text: 'keyed' }, { key: 'q-124' });
    const other = vi.mocked(sock.sendMessage).mock.lastCall?.[2] as { messageId: string } | undefined;
    expect(other?.messageId).not.toBe(keyed.messageId);
    vi.mocked(sock.sendMessage).mockRejectedValueOnce(Object.assign(new Error('reach-out timelock'), { output: { statusCode: 463 } }));
    await expect(h.session.send('+15550000005', { text: 'new contact' })).rejects.toMatchObject({ code: 'WHATSAPP_RATE_LIMIT' });
    // WhatsApp's other "too fast" answers pause the number as well
    vi.mocked(sock.sendMessage).mockRejectedValueOnce(Object.assign(new Error('rate-overlimit'), { output: { statusCode: 429 } }));
    await expect(h.session.send('+15550000005', { text: 'x' })).rejects.toMatchObject({ code: 'WHATSAPP_RATE_LIMIT', message: expect.stringMatching(/^429/) });
    vi.mocked(sock.sendMessage).mockRejectedValueOnce(new Error('rate-overlimit'));
    await expect(h.session.send('+15550000005', { text: 'x' })).rejects.toMatchObject({ code: 'WHATSAPP_RATE_LIMIT' });
    vi.mocked(sock.sendMessage).mockRejectedValueOnce(new Error('not connected'));
    await expect(h.session.send('+15550000005', { text: 'x' })).rejects.toMatchObject({ code: 'WHATSAPP_ERROR' });
  });

  it('refuses to send while not connected', async () => {
    const h = harness();
    void h.session.start();
    await h.tick();
    await expect(h.session.send('15550000001', { text: 'x' })).rejects.toMatchObject({ code: 'SESSION_NOT_CONNECTED' });
  });
});
