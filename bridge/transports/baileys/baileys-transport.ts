// The real WhatsApp transport over Baileys: one socket per client, auth in SQLite behind
// makeCacheableSignalKeyStore, QR refresh, reconnects by DisconnectReason, calls rejected at once,
// getMessage served from stored sent messages.
import type { Boom } from '@hapi/boom';
import { randomBytes } from 'node:crypto';
import makeWASocket, {
  Browsers,
  BufferJSON,
  downloadMediaMessage,
  jidNormalizedUser,
  makeCacheableSignalKeyStore,
  proto,
  type ConnectionState,
  type WAMessageKey,
  type WASocket,
} from '@whiskeysockets/baileys';
import pino from 'pino';
import { normalizeCall } from '../../../adapters/baileys/calls.ts';
import { normalizeAck, normalizeMessage, normalizeReaction } from '../../../adapters/baileys/messages.ts';
import { MAX_LINK_MEDIA_BYTES, type SessionSpec } from '../../../adapters/protocol.ts';
import type { BridgeDb } from '../../db.ts';
import { qrPng } from '../../qr.ts';
import { type Emit, SessionError, type OutgoingMedia, type Session, type StartResult, type TransportFactory } from '../transport.ts';
import { type Sealer, sealerFor } from '../../seal.ts';
import { tooLarge } from '../../sessions.ts';
import { useSqliteAuthState, type SqliteAuthState } from './auth-store.ts';
import { closeAction, reconnectDelay } from './reconnect.ts';

export type SocketLike = Pick<WASocket, 'ev' | 'sendMessage' | 'rejectCall' | 'end' | 'logout'> & {
  user?: WASocket['user'];
  groupFetchAllParticipating?: WASocket['groupFetchAllParticipating'];
  readMessages?: WASocket['readMessages'];
  updateMediaMessage?: WASocket['updateMediaMessage'];
};
export type MakeSocket = (config: Parameters<typeof makeWASocket>[0]) => SocketLike;

export interface BaileysOptions {
  /** seals the credentials and keys at rest (default: a key of this process only — tests) */
  sealer?: Sealer;
  makeSocket?: MakeSocket;
  logger?: pino.Logger;
  /** how long start() waits for a QR or a connection */
  startTimeoutMs?: number;
  delay?: (attempt: number) => number;
}

const STORED_MESSAGES = 1000;
/** most recent history messages kept per sync chunk */
const HISTORY_LIMIT = 500;

export class BaileysSession implements Session {
  private readonly spec: SessionSpec;
  private readonly emit: Emit;
  private readonly db: BridgeDb;
  private readonly opts: Required<Pick<BaileysOptions, 'makeSocket' | 'startTimeoutMs' | 'delay' | 'sealer'>> & { logger: pino.Logger };
  private auth: SqliteAuthState | undefined;
  private sock: SocketLike | undefined;
  private status: StartResult['status'] = 'disconnected';
  private connectedNumber: string | null = null;
  private qr: { qr: string; png: string } | undefined;
  private attempt = 0;
  private retry: NodeJS.Timeout | undefined;
  private stopped = true;
  private waiters: ((r: StartResult) => void)[] = [];

  constructor(spec: SessionSpec, emit: Emit, db: BridgeDb, opts: BaileysOptions = {}) {
    this.spec = spec;
    this.emit = emit;
    this.db = db;
    this.opts = {
      makeSocket: opts.makeSocket ?? ((config) => makeWASocket(config)),
      logger: opts.logger ?? pino({ level: process.env.BAILEYS_LOG_LEVEL ?? 'warn' }),
      startTimeoutMs: opts.startTimeoutMs ?? 30_000,
      delay: opts.delay ?? ((attempt) => reconnectDelay(attempt)),
      sealer: opts.sealer ?? sealerFor(randomBytes(32)),
    };
  }

  /** how many sockets this session has made (tests, diagnostics) */
  sockets = 0;

  private result(): StartResult {
    return { status: this.status, connectedNumber: this.connectedNumber, ...(this.status === 'pending_auth' && this.qr ? { qr: this.qr } : {}) };
  }

  private settle() {
    const r = this.result();
    for (const w of this.waiters.splice(0)) w(r);
  }

  private setStatus(status: StartResult['status'], reason?: string) {
    if (status === this.status && status !== 'pending_auth') return;
    this.status = status;
    this.emit({ kind: 'status', status, connectedNumber: this.connectedNumber, ...(reason ? { reason } : {}) });
  }

  start(): Promise<StartResult> {
    if (!this.stopped && (this.status === 'connected' || (this.status === 'pending_auth' && this.qr))) return Promise.resolve(this.result());
    const waiting = new Promise<StartResult>((resolve) => {
      this.waiters.push(resolve);
      setTimeout(() => resolve(this.result()), this.opts.startTimeoutMs).unref?.();
    });
    if (this.stopped) {
      this.stopped = false;
      this.auth = useSqliteAuthState(this.db, this.spec.clientRef, this.opts.sealer);
      this.connect();
    }
    return waiting;
  }

  private connect(): void {
    if (this.stopped || !this.auth) return;
    const { state, saveCreds } = this.auth;
    const sock = this.opts.makeSocket({
      auth: { creds: state.creds, keys: makeCacheableSignalKeyStore(state.keys, this.opts.logger) },
      logger: this.opts.logger,
      browser: Browsers.ubuntu('Switchboard'),
      markOnlineOnConnect: false,
      syncFullHistory: false,
      getMessage: async (key: WAMessageKey) => this.storedMessage(key.id),
    });
    this.sockets++;
    this.sock = sock;
    sock.ev.on('creds.update', () => void saveCreds());
    sock.ev.on('connection.update', (update) => void this.onConnection(sock, update));
    sock.ev.on('messages.upsert', ({ messages, type }) => {
      if (sock !== this.sock || type !== 'notify') return;
      for (const msg of messages) {
        const reaction = normalizeReaction(msg);
        if (reaction.ok) {
          if (!msg.key.fromMe) this.emit(reaction.value);
          continue;
        }
        const event = normalizeMessage(msg);
        if (!event.ok || event.value.fromMe) continue;
        if (event.value.hasMedia) {
          // kept so the media can be downloaded later (GET /api/chats/{clientId}/media/{messageId})
          this.db
            .prepare('INSERT OR REPLACE INTO media_refs (client_ref, message_id, ref, at) VALUES (?, ?, ?, ?)')
            .run(this.spec.clientRef, event.value.messageId, JSON.stringify(msg, BufferJSON.replacer), Date.now());
        }
        this.emit(event.value);
      }
    });
    // The history WhatsApp sends after pairing: the chats' recent messages, so the chat views are not empty.
    sock.ev.on('messaging-history.set', ({ messages }) => {
      if (sock !== this.sock) return;
      const recent = [...messages].sort((a, b) => Number(b.messageTimestamp ?? 0) - Number(a.messageTimestamp ?? 0)).slice(0, HISTORY_LIMIT);
      for (const msg of recent) {
        const event = normalizeMessage(msg);
        if (event.ok) this.emit({ ...event.value, history: true });
      }
    });
    sock.ev.on('messages.update', (updates) => {
      if (sock !== this.sock) return;
      for (const update of updates) {
        const ack = normalizeAck(update);
        if (ack.ok) this.emit(ack.value);
      }
    });
    sock.ev.on('call', (calls) => {
      if (sock !== this.sock) return;
      for (const call of calls) {
        const event = normalizeCall(call);
        if (!event.ok) continue;
        sock.rejectCall(call.id, call.from).catch((err: Error) => this.opts.logger.warn({ err }, 'rejecting a call failed'));
        this.emit(event.value);
      }
    });
  }

  private async onConnection(sock: SocketLike, update: Partial<ConnectionState>): Promise<void> {
    if (sock !== this.sock) return; // a socket we already replaced
    if (update.qr) {
      this.qr = { qr: update.qr, png: await qrPng(update.qr) };
      this.emit({ kind: 'qr', ...this.qr });
      this.setStatus('pending_auth');
      this.settle();
    }
    if (update.connection === 'open') {
      this.attempt = 0;
      this.qr = undefined;
      this.connectedNumber = sock.user?.id ? `${jidNormalizedUser(sock.user.id).replace(/@.*$/, '')}@c.us` : null;
      this.setStatus('connected');
      this.settle();
    }
    if (update.connection === 'close') {
      const code = (update.lastDisconnect?.error as Boom | undefined)?.output?.statusCode;
      const { action } = closeAction(code);
      this.sock = undefined;
      if (this.stopped) return;
      if (action === 'restart') {
        this.connect();
      } else if (action === 'reconnect') {
        this.setStatus('disconnected', `connection closed (${code ?? 'network'}); reconnecting`);
        this.retry = setTimeout(() => this.connect(), this.opts.delay(this.attempt++));
      } else if (action === 'logged_out') {
        this.auth?.clear();
        this.stopped = true;
        this.connectedNumber = null;
        this.qr = undefined;
        this.setStatus('logged_out', `logged out by WhatsApp (${code}); pair again`);
        this.settle();
      } else {
        this.stopped = true;
        this.setStatus('disconnected', 'connection replaced: another session uses this number');
        this.settle();
      }
    }
  }

  private storedMessage(id: string | null | undefined): proto.IMessage | undefined {
    if (!id) return undefined;
    const row = this.db.prepare('SELECT message FROM sent_messages WHERE client_ref = ? AND id = ?').get(this.spec.clientRef, id) as
      | { message: string }
      | undefined;
    return row ? proto.Message.fromObject(JSON.parse(row.message, BufferJSON.reviver)) : undefined;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const sock = this.sock;
    this.sock = undefined;
    sock?.end(undefined);
    if (this.status !== 'logged_out') this.status = 'disconnected';
  }

  async logout(): Promise<void> {
    const sock = this.sock;
    await sock?.logout().catch(() => undefined);
    await this.stop();
    (this.auth ?? useSqliteAuthState(this.db, this.spec.clientRef, this.opts.sealer)).clear();
    this.connectedNumber = null;
    this.setStatus('logged_out', 'logged out');
  }

  async media(messageId: string) {
    const row = this.db.prepare('SELECT ref FROM media_refs WHERE client_ref = ? AND message_id = ?').get(this.spec.clientRef, messageId) as
      | { ref: string }
      | undefined;
    if (!row) throw new SessionError('MEDIA_NOT_FOUND', 'This message has no media');
    const msg = JSON.parse(row.ref, BufferJSON.reviver);
    const event = normalizeMessage(msg);
    // refuse before downloading what the link could not carry
    const declared = declaredLength(msg.message);
    if (declared > MAX_LINK_MEDIA_BYTES) throw tooLarge(declared);
    const sock = this.sock;
    try {
      const data = await downloadMediaMessage(
        msg,
        'buffer',
        {},
        sock?.updateMediaMessage ? { reuploadRequest: sock.updateMediaMessage, logger: this.opts.logger } : undefined,
      );
      return {
        data: new Uint8Array(data),
        mimetype: (event.ok && event.value.mimetype) || 'application/octet-stream',
        filename: (event.ok && event.value.filename) || null,
      };
    } catch (err) {
      throw new SessionError('MEDIA_ERROR', `Downloading the media failed: ${(err as Error).message}`);
    }
  }

  async read(chatId: string, messageIds: string[]) {
    const sock = this.sock;
    if (!sock?.readMessages || this.status !== 'connected') throw new SessionError('SESSION_NOT_CONNECTED', 'The WhatsApp session is not connected');
    const remoteJid = chatId.replace(/@c\.us$/, '@s.whatsapp.net');
    await sock.readMessages(messageIds.map((id) => ({ remoteJid, id, fromMe: false })));
  }

  async groups() {
    const sock = this.sock;
    if (!sock || this.status !== 'connected' || !sock.groupFetchAllParticipating)
      throw new SessionError('SESSION_NOT_CONNECTED', 'The WhatsApp session is not connected');
    const all = await sock.groupFetchAllParticipating();
    const me = sock.user?.id ? jidNormalizedUser(sock.user.id) : '';
    return Object.values(all).map((g) => {
      const admin = g.participants.some((p) => jidNormalizedUser(p.id) === me && (p.admin === 'admin' || p.admin === 'superadmin'));
      return {
        id: g.id,
        name: g.subject,
        description: g.desc ?? null,
        type: 'group' as const,
        isReadOnly: Boolean(g.announce) && !admin,
        participants: g.participants.length,
        owner: g.owner ? `${g.owner.replace(/@.*$/, '')}@c.us` : null,
        createdAt: g.creation ?? null,
      };
    });
  }

  async send(to: string, content: { text?: string; media?: OutgoingMedia }) {
    const sock = this.sock;
    if (!sock || this.status !== 'connected') throw new SessionError('SESSION_NOT_CONNECTED', 'The WhatsApp session is not connected');
    const jid = to.includes('@') ? to.replace(/@c\.us$/, '@s.whatsapp.net') : `${to.replace(/^\+/, '')}@s.whatsapp.net`;
    const m = content.media;
    const buffer = m ? Buffer.from(m.data) : undefined;
    const message =
      !m || !buffer
        ? { text: content.text ?? '' }
        : m.kind === 'image'
          ? { image: buffer, caption: content.text, mimetype: m.mimetype }
          : m.kind === 'video'
            ? { video: buffer, caption: content.text, mimetype: m.mimetype }
            : m.kind === 'audio'
              ? { audio: buffer, mimetype: m.mimetype }
              : { document: buffer, mimetype: m.mimetype, fileName: m.filename, caption: content.text };
    let sent: Awaited<ReturnType<WASocket['sendMessage']>>;
    try {
      sent = await sock.sendMessage(jid, message);
    } catch (err) {
      // 463: WhatsApp's reach-out limit (too many first messages to new contacts) — a pause, not a broken send
      const status = (err as { output?: { statusCode?: number }; data?: unknown })?.output?.statusCode;
      if (status === 463 || /\b463\b/.test(String((err as Error).message))) {
        throw new SessionError('WHATSAPP_RATE_LIMIT', `463: WhatsApp limits first messages to new contacts now: ${(err as Error).message}`);
      }
      throw new SessionError('WHATSAPP_ERROR', `WhatsApp refused the message: ${(err as Error).message}`);
    }
    const id = sent?.key.id;
    if (!id) throw new SessionError('WHATSAPP_ERROR', 'WhatsApp gave no message id');
    if (sent?.message) {
      this.db
        .prepare('INSERT OR REPLACE INTO sent_messages (client_ref, id, message, at) VALUES (?, ?, ?, ?)')
        .run(this.spec.clientRef, id, JSON.stringify(sent.message, BufferJSON.replacer), Date.now());
      this.db
        .prepare('DELETE FROM sent_messages WHERE client_ref = ? AND id NOT IN (SELECT id FROM sent_messages WHERE client_ref = ? ORDER BY at DESC LIMIT ?)')
        .run(this.spec.clientRef, this.spec.clientRef, STORED_MESSAGES);
    }
    return { messageId: id, timestamp: Date.now() };
  }
}

/** The media's declared size (fileLength of whichever media message it is; 0 when unknown). */
function declaredLength(content: unknown): number {
  if (!content || typeof content !== 'object') return 0;
  for (const value of Object.values(content as Record<string, unknown>)) {
    const length = (value as { fileLength?: unknown } | null)?.fileLength;
    if (length !== undefined && length !== null) return Number(length);
  }
  return 0;
}

export const baileysTransport =
  (db: BridgeDb, opts: BaileysOptions = {}): TransportFactory =>
  (spec, emit) =>
    new BaileysSession(spec, emit, db, opts);
