// The Baileys transport at its socket boundary: a socket whose `ev` is Baileys' own event emitter,
// driven with Baileys' own event shapes (connection.update with Boom errors, messages.upsert, call).
import { Boom } from '@hapi/boom';
import { DisconnectReason, makeEventBuffer, type BaileysEventMap } from '@whiskeysockets/baileys';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import upsert from '../../../test/fixtures/baileys/messages-upsert.json';
import type { BridgeEvent } from '../../../adapters/protocol.ts';
import { openBridgeDb } from '../../db.ts';
import { BaileysSession, type MakeSocket, type SocketLike } from './baileys-transport.ts';

const logger = pino({ level: 'silent' });
const spec = { clientRef: 7, clientId: 'shop', phoneNumber: '972501234567' };

function harness() {
  const db = openBridgeDb(':memory:');
  const sockets: (SocketLike & { emit<E extends keyof BaileysEventMap>(e: E, d: BaileysEventMap[E]): void })[] = [];
  const configs: Parameters<MakeSocket>[0][] = [];
  const makeSocket: MakeSocket = (config) => {
    configs.push(config);
    const ev = makeEventBuffer(logger);
    const sock = {
      ev,
      user: undefined as SocketLike['user'],
      sendMessage: vi.fn(async (jid: string, content: { text?: string }) => ({
        key: { id: `OUT${sockets.length}`, remoteJid: jid, fromMe: true },
        message: { conversation: content.text ?? '' },
      })),
      rejectCall: vi.fn(async () => {}),
      end: vi.fn(),
      logout: vi.fn(async () => {}),
      emit: <E extends keyof BaileysEventMap>(e: E, d: BaileysEventMap[E]) => ev.emit(e, d),
    };
    sockets.push(sock as never);
    return sock as never;
  };
  const events: BridgeEvent[] = [];
  const delays: number[] = [];
  const session = new BaileysSession(spec, (e) => events.push(e), db, {
    makeSocket,
    logger,
    startTimeoutMs: 2000,
    delay: (attempt) => {
      delays.push(attempt);
      return 5;
    },
  });
  const close = (code: number) =>
    sockets.at(-1)!.emit('connection.update', { connection: 'close', lastDisconnect: { error: new Boom('closed', { statusCode: code }), date: new Date() } });
  const open = (id = '972501234567:12@s.whatsapp.net') => {
    sockets.at(-1)!.user = { id } as never;
    sockets.at(-1)!.emit('connection.update', { connection: 'open' });
  };
  const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));
  /** waits (bounded) until `pred` holds: the QR PNG is rendered asynchronously */
  const until = async (pred: () => boolean) => {
    for (let i = 0; i < 200 && !pred(); i++) await tick(10);
  };
  return { db, sockets, configs, events, delays, session, close, open, tick, until };
}

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
    await h.until(() => h.events.filter((e) => e.kind === 'qr').length >= 2);
    expect(h.events.filter((e) => e.kind === 'qr')).toHaveLength(2);
    h.open();
    await h.tick();
    expect(h.events.at(-1)).toEqual({ kind: 'status', status: 'connected', connectedNumber: '972501234567@c.us' });
    expect(h.configs[0]!.auth).toBeDefined();
  });

  it('restarts at once on 515, reconnects with backoff on 428/408/500/503, never more than one socket', async () => {
    const h = harness();
    void h.session.start();
    await h.tick();
    h.open();
    await h.tick();
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
    expect(h.events.filter((e) => e.kind === 'status' && e.status === 'disconnected').length).toBeGreaterThanOrEqual(1);
    // events of a replaced socket are ignored
    h.sockets[0]!.emit('messages.upsert', { messages: upsert.messages as never, type: 'notify' });
    await h.tick();
    expect(h.events.some((e) => e.kind === 'message')).toBe(false);
    h.open();
    await h.tick();
    h.close(DisconnectReason.connectionClosed);
    await h.tick(40);
    expect(h.delays.at(-1)).toBe(0);
  });

  it('on 401 (logged out) stops, erases its auth state and asks for pairing', async () => {
    const h = harness();
    void h.session.start();
    await h.tick();
    h.sockets[0]!.emit('creds.update', {});
    await h.tick();
    expect((h.db.prepare('SELECT count(*) AS n FROM baileys_creds').get() as { n: number }).n).toBe(1);
    h.close(DisconnectReason.loggedOut);
    await h.tick(40);
    expect(h.sockets).toHaveLength(1);
    expect(h.events.at(-1)).toMatchObject({ kind: 'status', status: 'logged_out' });
    expect((h.db.prepare('SELECT count(*) AS n FROM baileys_creds').get() as { n: number }).n).toBe(0);
    // pairing again makes a fresh socket
    void h.session.start();
    await h.tick();
    expect(h.sockets).toHaveLength(2);
  });

  it('on 440 (connection replaced) stops without fighting the other socket', async () => {
    const h = harness();
    void h.session.start();
    await h.tick();
    h.open();
    await h.tick();
    h.close(DisconnectReason.connectionReplaced);
    await h.tick(40);
    expect(h.sockets).toHaveLength(1);
    expect(h.events.at(-1)).toMatchObject({ kind: 'status', status: 'disconnected', reason: expect.stringContaining('replaced') });
  });

  it('reports received messages, rejects calls at once, and serves getMessage from sent messages', async () => {
    const h = harness();
    void h.session.start();
    await h.tick();
    h.open();
    await h.tick();
    const sock = h.sockets[0]!;
    sock.emit('messages.upsert', { messages: upsert.messages as never, type: 'notify' });
    sock.emit('call', [
      {
        chatId: '15550000002@s.whatsapp.net',
        from: '15550000002@s.whatsapp.net',
        id: 'CALL1',
        date: new Date(),
        isVideo: false,
        status: 'offer',
        offline: false,
      },
    ]);
    await h.tick();
    const messages = h.events.filter((e) => e.kind === 'message');
    expect(messages.map((m) => (m as { messageId: string }).messageId)).toEqual([
      '3EB0C767F26AFC1F8B01',
      '3EB0A1B2C3D4E5F60002',
      '3EB0A1B2C3D4E5F60003',
      '3EB0A1B2C3D4E5F60004',
    ]);
    expect(sock.rejectCall).toHaveBeenCalledWith('CALL1', '15550000002@s.whatsapp.net');
    expect(h.events.find((e) => e.kind === 'call')).toMatchObject({ callId: 'CALL1', from: '15550000002', isVideo: false });

    const sent = await h.session.send('+15550000001', { text: 'hi there' });
    expect(sock.sendMessage).toHaveBeenCalledWith('15550000001@s.whatsapp.net', { text: 'hi there' });
    const stored = await h.configs[0]!.getMessage!({ id: sent.messageId, remoteJid: '15550000001@s.whatsapp.net' });
    expect(stored?.conversation).toBe('hi there');
    expect(await h.configs[0]!.getMessage!({ id: 'unknown' })).toBeUndefined();
    // WhatsApp's 463 (reach-out limit) is told apart from other refusals, so a governor can pause on it
    vi.mocked(sock.sendMessage).mockRejectedValueOnce(new Boom('reach-out timelock', { statusCode: 463 }));
    await expect(h.session.send('+15550000005', { text: 'new contact' })).rejects.toMatchObject({ code: 'WHATSAPP_RATE_LIMIT' });
    vi.mocked(sock.sendMessage).mockRejectedValueOnce(new Error('not connected'));
    await expect(h.session.send('+15550000005', { text: 'x' })).rejects.toMatchObject({ code: 'WHATSAPP_ERROR' });
  });

  it('reports the history sync as history (stored, never webhooks), own messages included', async () => {
    const h = harness();
    void h.session.start();
    await h.tick();
    h.open();
    await h.tick();
    h.sockets[0]!.emit('messaging-history.set', { chats: [], contacts: [], messages: upsert.messages as never, isLatest: true });
    await h.tick();
    const history = h.events.filter((e) => e.kind === 'message');
    expect(history).toHaveLength(5);
    expect(history.every((e) => (e as { history?: boolean }).history === true)).toBe(true);
    expect(history.some((e) => (e as { fromMe: boolean }).fromMe)).toBe(true);
  });

  it('refuses to send while not connected', async () => {
    const h = harness();
    void h.session.start();
    await h.tick();
    await expect(h.session.send('15550000001', { text: 'x' })).rejects.toMatchObject({ code: 'SESSION_NOT_CONNECTED' });
  });
});
