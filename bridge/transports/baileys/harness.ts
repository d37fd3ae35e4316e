// Test harness: a BaileysSession over sockets whose `ev` is Baileys' own event buffer and whose
// `signalRepository` is Baileys' own (makeLibSignalRepository over the session's key store, with the
// transaction capability makeWASocket adds), so the LID mapping is the real one, persisted in SQLite.
import { Boom } from '@hapi/boom';
import { EventEmitter } from 'node:events';
import { addTransactionCapability, makeEventBuffer, type BaileysEventMap } from '@whiskeysockets/baileys';
import { makeLibSignalRepository } from '@whiskeysockets/baileys/lib/Signal/libsignal.js';
import pino from 'pino';
import { vi } from 'vitest';
import type { BridgeEvent } from '../../../adapters/protocol.ts';
import { openBridgeDb } from '../../db.ts';
import { type BaileysOptions, BaileysSession, type MakeSocket, type SocketLike } from './baileys-transport.ts';

export const logger = pino({ level: 'silent' });
export const spec = { clientRef: 7, clientId: 'shop', phoneNumber: '972500000001' };

export type TestSocket = SocketLike & {
  emit<E extends keyof BaileysEventMap>(e: E, d: BaileysEventMap[E]): void;
  readMessages: ReturnType<typeof vi.fn>;
  requestPairingCode: ReturnType<typeof vi.fn>;
  query: ReturnType<typeof vi.fn>;
  profilePictureUrl: ReturnType<typeof vi.fn>;
  groupFetchAllParticipating: ReturnType<typeof vi.fn>;
  newsletterMetadata: ReturnType<typeof vi.fn>;
  ws: EventEmitter;
};

export function harness(opts: Partial<BaileysOptions> = {}) {
  const db = openBridgeDb(':memory:');
  const sockets: TestSocket[] = [];
  const configs: Parameters<MakeSocket>[0][] = [];
  const makeSocket: MakeSocket = (config) => {
    configs.push(config);
    const ev = makeEventBuffer(logger);
    let qrShown = false;
    ev.on('connection.update', (u) => {
      if (u.qr) qrShown = true;
    });
    const keys = addTransactionCapability(config.auth.keys, logger, { maxCommitRetries: 1, delayBetweenTriesMs: 1 });
    const sock = {
      ev,
      user: undefined as SocketLike['user'],
      signalRepository: makeLibSignalRepository({ creds: config.auth.creds, keys }, logger),
      sendMessage: vi.fn(async (jid: string, content: { text?: string }) => ({
        key: { id: `OUT${sockets.length}`, remoteJid: jid, fromMe: true },
        message: { conversation: content.text ?? '' },
      })),
      rejectCall: vi.fn(async () => {}),
      readMessages: vi.fn(async () => {}),
      query: vi.fn(async () => ({ tag: 'iq', attrs: { type: 'result' } })),
      profilePictureUrl: vi.fn(async (jid: string) => {
        if (jid.startsWith('15550000032')) throw new Boom('item-not-found', { statusCode: 404 });
        return `https://pps.whatsapp.net/v/${jid.replace(/@.*$/, '')}.jpg`;
      }),
      // as rc14: only once the socket stands at the QR stage (else 428 Connection Closed); it sets creds.me
      // and creds.pairingCode (so the client is not "registered" yet) and answers an 8-character code
      requestPairingCode: vi.fn(async (phoneNumber: string) => {
        if (!qrShown) throw new Boom('Connection Closed', { statusCode: 428 });
        config.auth.creds.pairingCode = 'K7XQ2M9P';
        config.auth.creds.me = { id: `${phoneNumber}@s.whatsapp.net`, name: '~' };
        return 'K7XQ2M9P';
      }),
      groupFetchAllParticipating: vi.fn(async () => ({})),
      newsletterMetadata: vi.fn(async () => null),
      // as Baileys' end(): the socket closes with the error given
      end: vi.fn((error?: Error) => ev.emit('connection.update', { connection: 'close', lastDisconnect: { error, date: new Date() } })),
      ws: new EventEmitter(),
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
    ...opts,
  });
  const last = () => sockets.at(-1)!;
  const close = (code: number, message = 'Connection Failure', data: object = { reason: String(code) }) =>
    last().emit('connection.update', { connection: 'close', lastDisconnect: { error: new Boom(message, { statusCode: code, data }), date: new Date() } });
  const open = (user: { id: string; lid?: string } = { id: '972500000001:3@s.whatsapp.net', lid: '99990000000001:3@lid' }) => {
    last().user = user as never;
    configs.at(-1)!.auth.creds.me = user; // as Baileys sets it once paired
    last().emit('connection.update', { connection: 'open' });
  };
  const tick = (ms = 20) => new Promise((r) => setTimeout(r, ms));
  /** waits (bounded) until `pred` holds: events are handled asynchronously */
  const until = async (pred: () => boolean) => {
    for (let i = 0; i < 200 && !pred(); i++) await tick(10);
  };
  const ofKind = <K extends BridgeEvent['kind']>(kind: K) => events.filter((e): e is Extract<BridgeEvent, { kind: K }> => e.kind === kind);
  /** started and connected */
  const connected = async () => {
    void session.start();
    await tick();
    open();
    await until(() => events.some((e) => e.kind === 'status' && e.status === 'connected'));
  };
  return { db, sockets, configs, events, delays, session, close, open, tick, until, ofKind, connected, last };
}
