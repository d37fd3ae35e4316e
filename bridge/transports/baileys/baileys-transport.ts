// The real WhatsApp transport over Baileys: one socket per client, auth in SQLite behind
// makeCacheableSignalKeyStore, QR refresh, reconnects by why the socket closed (./reconnect.ts), what the
// socket reports turned into events (./inbound.ts), getMessage served from stored sent messages
// (./message-store.ts), group metadata cached (./groups.ts).
import { Boom } from '@hapi/boom';
import { randomBytes } from 'node:crypto';
import makeWASocket, {
  Browsers,
  DisconnectReason,
  downloadMediaMessage,
  fetchLatestWaWebVersion,
  jidNormalizedUser,
  makeCacheableSignalKeyStore,
  type ConnectionState,
  type WAMessageKey,
  type WASocket,
} from '@whiskeysockets/baileys';
import pino from 'pino';
import { normalizeMessage, unwrap } from '../../../adapters/baileys/messages.ts';
import { type AuthEntry, MAX_LINK_MEDIA_BYTES, type PairingMethod, type SessionSpec } from '../../../adapters/protocol.ts';
import type { BridgeDb } from '../../db.ts';
import { qrPng } from '../../qr.ts';
import { type Emit, keyedHex, SessionError, type OutgoingMedia, type Session, type StartResult, type TransportFactory } from '../transport.ts';
import { type Sealer, sealerFor } from '../../seal.ts';
import { tooLarge } from '../../sessions.ts';
import { useSqliteAuthState, type SqliteAuthState } from './auth-store.ts';
import { GroupDirectory, type GroupSocket } from './groups.ts';
import { type InboundSocket, listenInbound } from './inbound.ts';
import { MessageStore } from './message-store.ts';
import { PictureCache } from './pictures.ts';
import { type LivenessOptions, livenessDefaults, watchLiveness } from './liveness.ts';
import { closeAction, reconnectDelay } from './reconnect.ts';

export type SocketLike = Pick<WASocket, 'ev' | 'sendMessage' | 'rejectCall' | 'end' | 'logout'> &
  GroupSocket &
  Pick<InboundSocket, 'signalRepository'> & {
    user?: WASocket['user'];
    readMessages?: WASocket['readMessages'];
    profilePictureUrl?: WASocket['profilePictureUrl'];
    requestPairingCode?: WASocket['requestPairingCode'];
    updateMediaMessage?: WASocket['updateMediaMessage'];
    query?: WASocket['query'];
    /** the WebSocket client: its HTTP upgrade answer and its frames are watched */
    ws?: {
      on(event: 'unexpected-response', listener: (req: unknown, res: { statusCode?: number; resume?: () => void }) => void): unknown;
      on(event: 'message', listener: (data: unknown) => void): unknown;
    };
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
  /** WhatsApp Web's current version, asked for when WhatsApp refuses ours (405) */
  fetchVersion?: () => Promise<[number, number, number] | undefined>;
  /** when a connected but silent socket is probed and restarted (./liveness.ts) */
  liveness?: LivenessOptions;
  /** passed to makeWASocket as is (tests point `waWebSocketUrl` at a local server) */
  socketConfig?: Partial<Parameters<typeof makeWASocket>[0]>;
}

/** WhatsApp Web's version from web.whatsapp.com, or undefined (Baileys' own then stays). */
async function latestVersion(): Promise<[number, number, number] | undefined> {
  const found = await fetchLatestWaWebVersion({ signal: AbortSignal.timeout(10_000) });
  return found.isLatest ? (found.version as [number, number, number]) : undefined;
}

export class BaileysSession implements Session {
  private readonly spec: SessionSpec;
  private readonly emit: Emit;
  /** every auth write goes to the edge, which keeps it for whichever bridge holds the number next */
  private readonly authChanged = (entries: AuthEntry[]) => {
    for (let i = 0; i < entries.length; i += 500) this.emit({ kind: 'auth', entries: entries.slice(i, i + 500) });
  };
  private readonly db: BridgeDb;
  private readonly opts: Required<Pick<BaileysOptions, 'makeSocket' | 'startTimeoutMs' | 'delay' | 'sealer' | 'fetchVersion' | 'socketConfig' | 'liveness'>> & {
    logger: pino.Logger;
  };
  private readonly store: MessageStore;
  private readonly groupDirectory: GroupDirectory;
  private readonly pictureCache = new PictureCache();
  /** closes by code since the socket last opened (caps: ./reconnect.ts) */
  private readonly closes = new Map<number, number>();
  private version: [number, number, number] | undefined;
  /** stops the current socket's liveness watch */
  private unwatch: (() => void) | undefined;
  private pairing: PairingMethod = 'qr';
  private pairingCode: string | undefined;
  /** the socket a pairing code was asked on (one request per socket) */
  private codeSocket: SocketLike | undefined;
  private reason: string | undefined;
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
      fetchVersion: opts.fetchVersion ?? latestVersion,
      socketConfig: opts.socketConfig ?? {},
      liveness: opts.liveness ?? livenessDefaults(),
    };
    this.store = new MessageStore(db, spec.clientRef, this.opts.sealer);
    this.groupDirectory = new GroupDirectory(this.store);
  }

  /** how many sockets this session has made (tests, diagnostics) */
  sockets = 0;

  private result(): StartResult {
    const pairing = this.status === 'pending_auth';
    return {
      status: this.status,
      connectedNumber: this.connectedNumber,
      ...(pairing && this.pairing === 'qr' && this.qr ? { qr: this.qr } : {}),
      ...(pairing && this.pairing === 'code' && this.pairingCode ? { pairingCode: this.pairingCode } : {}),
    };
  }

  /** Waiting for the phone: a QR shown, or a pairing code (whichever the owner asked for). */
  private showing(): boolean {
    return this.status === 'pending_auth' && Boolean(this.pairing === 'code' ? this.pairingCode : this.qr);
  }

  /**
   * Pairing by phone: rc14's requestPairingCode works only once the socket stands at the QR stage (before
   * that it throws 428 Connection Closed), so it is asked on a `qr` update, once per socket; a failure is
   * asked again on the next `qr` update.
   */
  private async askCode(sock: SocketLike): Promise<void> {
    if (this.codeSocket === sock || !sock.requestPairingCode) return;
    this.codeSocket = sock;
    try {
      const code = await sock.requestPairingCode(this.spec.phoneNumber.replace(/\D/g, ''));
      if (sock !== this.sock) return;
      this.pairingCode = code;
      this.qr = undefined;
      this.emit({ kind: 'pairing_code', code });
      this.setStatus('pending_auth');
      this.settle();
    } catch (err) {
      this.codeSocket = undefined;
      this.opts.logger.warn({ err }, 'asking WhatsApp for a pairing code failed; asking again on the next QR update');
    }
  }

  private settle() {
    const r = this.result();
    for (const w of this.waiters.splice(0)) w(r);
  }

  private setStatus(status: StartResult['status'], reason?: string) {
    if (status === this.status && reason === this.reason && status !== 'pending_auth') return;
    this.status = status;
    this.reason = reason;
    this.emit({ kind: 'status', status, connectedNumber: this.connectedNumber, ...(reason ? { reason } : {}) });
  }

  start(opts: { pairingMethod?: PairingMethod } = {}): Promise<StartResult> {
    if (opts.pairingMethod && opts.pairingMethod !== this.pairing) {
      this.pairing = opts.pairingMethod;
      this.pairingCode = undefined;
      // already at the QR stage: the code can be asked on this socket now
      if (this.pairing === 'code' && this.sock && this.qr && !this.stopped) void this.askCode(this.sock);
    }
    if (!this.stopped && (this.status === 'connected' || this.showing())) return Promise.resolve(this.result());
    const waiting = new Promise<StartResult>((resolve) => {
      this.waiters.push(resolve);
      setTimeout(() => resolve(this.result()), this.opts.startTimeoutMs).unref?.();
    });
    if (this.stopped) {
      this.stopped = false;
      this.closes.clear(); // started again (by its owner or a reconnecting link): the caps count afresh
      this.auth = useSqliteAuthState(this.db, this.spec.clientRef, this.opts.sealer, this.authChanged);
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
      // our sends are not upserted back to us: rc14 merges a send's nack (463) and receipts into that upsert
      // while it buffers events (connecting, first sync), and they would be lost with it
      emitOwnEvents: false,
      getMessage: async (key: WAMessageKey) => (key.id ? this.store.sent(key.id) : undefined),
      cachedGroupMetadata: this.groupDirectory.cached,
      ...(this.version ? { version: this.version } : {}),
      ...this.opts.socketConfig,
    });
    this.sockets++;
    this.sock = sock;
    // rc14 listens for the upgrade's HTTP answer but never acts on it: a 403 from a proxy would hang the
    // socket in "connecting" for ever. It closes, marked as a handshake refusal (never a logout).
    sock.ws?.on('unexpected-response', (_req, res) => {
      try {
        res.resume?.();
        // a redirect or a 200 from a captive portal is a refusal too (Boom takes only 4xx/5xx codes)
        const http = res.statusCode ?? 0;
        sock.end(new Boom(`WebSocket upgrade refused (HTTP ${http})`, { statusCode: http >= 400 && http < 600 ? http : 502, data: { handshake: true, http } }));
      } catch (err) {
        this.opts.logger.warn({ err }, 'closing a refused socket failed');
      }
    });
    this.unwatch?.();
    this.unwatch = watchLiveness(
      sock,
      this.opts.liveness,
      () => sock === this.sock && this.status === 'connected',
      (reason) => sock.end(new Boom(reason, { statusCode: DisconnectReason.connectionLost, data: { liveness: reason } })),
    );
    sock.ev.on('creds.update', () => void saveCreds());
    sock.ev.on('connection.update', (update) => void this.onConnection(sock, update));
    listenInbound(sock, {
      emit: this.emit,
      store: this.store,
      groups: this.groupDirectory,
      logger: this.opts.logger,
      me: () => this.connectedNumber?.replace(/@.*$/, '') ?? null,
      current: () => sock === this.sock,
    });
  }

  private async onConnection(sock: SocketLike, update: Partial<ConnectionState>): Promise<void> {
    if (sock !== this.sock) return; // a socket we already replaced
    if (update.qr) {
      if (this.pairing === 'code' && !this.auth?.registered()) {
        this.qr = { qr: update.qr, png: '' }; // the socket stands at the QR stage: no QR is shown
        await this.askCode(sock);
      } else {
        this.qr = { qr: update.qr, png: await qrPng(update.qr) };
        this.emit({ kind: 'qr', ...this.qr });
        this.setStatus('pending_auth');
        this.settle();
      }
    }
    if (update.connection === 'open') {
      this.attempt = 0;
      this.pairingCode = undefined;
      this.closes.clear();
      this.qr = undefined;
      this.connectedNumber = sock.user?.id ? `${jidNormalizedUser(sock.user.id).replace(/@.*$/, '')}@c.us` : null;
      this.setStatus('connected');
      this.settle();
    }
    if (update.connection === 'close') await this.onClose(update.lastDisconnect?.error as Boom | undefined);
  }

  private async onClose(error: Boom | undefined): Promise<void> {
    const code = error?.output?.statusCode;
    const repeats = (this.closes.get(code ?? 0) ?? 0) + 1;
    this.closes.set(code ?? 0, repeats);
    const refused = error?.data as { handshake?: boolean; http?: number; liveness?: string } | undefined;
    const handshake = Boolean(refused?.handshake);
    let next = closeAction({ code: handshake ? (refused?.http ?? code) : code, handshake, registered: this.auth?.registered() ?? false, repeats });
    if (refused?.liveness && next.action === 'reconnect') next = { ...next, reason: refused.liveness };
    this.unwatch?.();
    this.sock = undefined;
    if (this.stopped) return;
    switch (next.action) {
      case 'restart':
        return this.connect();
      case 'update_version':
        this.version = (await this.opts.fetchVersion().catch(() => undefined)) ?? this.version;
        if (this.stopped || this.sock) return; // stopped, or started again, while the version was fetched
        this.setStatus('disconnected', next.reason);
        this.retry = setTimeout(() => this.connect(), this.opts.delay(this.attempt++));
        return;
      case 'reconnect':
        this.setStatus(this.status === 'pending_auth' ? 'pending_auth' : 'disconnected', next.reason);
        this.retry = setTimeout(() => this.connect(), this.opts.delay(this.attempt++));
        this.settle(); // a start waiting hears it now, with the reason, rather than at its time limit
        return;
      case 'logged_out':
        this.auth?.clear();
        this.store.clear();
        this.groupDirectory.clear();
        this.stopped = true;
        this.connectedNumber = null;
        this.qr = undefined;
        this.setStatus('logged_out', next.reason);
        this.settle();
        return;
      case 'replaced':
      case 'give_up':
        this.stopped = true;
        this.qr = undefined;
        this.setStatus('disconnected', next.reason);
        this.settle();
        return;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unwatch?.();
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
    (this.auth ?? useSqliteAuthState(this.db, this.spec.clientRef, this.opts.sealer, this.authChanged)).clear();
    this.store.clear();
    this.groupDirectory.clear();
    this.pictureCache.clear();
    this.connectedNumber = null;
    this.setStatus('logged_out', 'logged out');
  }

  async media(messageId: string) {
    const msg = this.store.media(messageId);
    if (!msg) throw new SessionError('MEDIA_NOT_FOUND', 'This message has no media');
    const event = normalizeMessage(msg);
    // refuse before downloading what the link could not carry
    const declared = declaredLength(unwrap(msg.message));
    if (declared > MAX_LINK_MEDIA_BYTES) throw tooLarge(declared);
    const sock = this.sock;
    let data: Uint8Array;
    try {
      const stream = await downloadMediaMessage(
        msg,
        'stream',
        {},
        sock?.updateMediaMessage ? { reuploadRequest: sock.updateMediaMessage, logger: this.opts.logger } : undefined,
      );
      // the size is the sender's word: the download stops at the link's limit whatever it declared
      data = await readCapped(stream, MAX_LINK_MEDIA_BYTES);
    } catch (err) {
      if (err instanceof SessionError) throw err;
      throw new SessionError('MEDIA_ERROR', `Downloading the media failed: ${(err as Error).message}`);
    }
    return {
      data,
      mimetype: (event.ok && event.value.mimetype) || 'application/octet-stream',
      filename: (event.ok && event.value.filename) || null,
    };
  }

  async read(chatId: string, messageIds: string[]) {
    const sock = this.sock;
    if (!sock?.readMessages || this.status !== 'connected') throw new SessionError('SESSION_NOT_CONNECTED', 'The WhatsApp session is not connected');
    // each message's key as it came (a group receipt names the participant; a LID chat its LID)
    const known = this.store.keys(messageIds);
    const isGroup = chatId.endsWith('@g.us');
    const keys = messageIds.flatMap((id): WAMessageKey[] => {
      const key = known.get(id);
      if (key) return [key];
      // a group receipt without its participant is not one WhatsApp takes: only what was seen
      return isGroup ? [] : [{ remoteJid: jidOf(chatId), id, fromMe: false }];
    });
    if (keys.length) await sock.readMessages(keys);
  }

  async pictures(chatIds: string[]) {
    const sock = this.status === 'connected' ? this.sock : undefined;
    return this.pictureCache.get(
      sock,
      chatIds.map((chatId) => ({ chatId, jid: jidOf(chatId) })),
    );
  }

  async groups() {
    const sock = this.sock;
    if (!sock || this.status !== 'connected' || !sock.groupFetchAllParticipating)
      throw new SessionError('SESSION_NOT_CONNECTED', 'The WhatsApp session is not connected');
    return this.groupDirectory.list(sock);
  }

  async send(to: string, content: { text?: string; media?: OutgoingMedia }, opts: { key?: string } = {}) {
    const sock = this.sock;
    if (!sock || this.status !== 'connected') throw new SessionError('SESSION_NOT_CONNECTED', 'The WhatsApp session is not connected');
    const jid = jidOf(to);
    const m = content.media;
    const buffer = m ? Buffer.from(m.data) : undefined;
    const message =
      !m || !buffer
        ? // no link preview, ever: a future link-preview-js install would fetch URLs from the text around the URL guard
          { text: content.text ?? '', linkPreview: null }
        : m.kind === 'image'
          ? { image: buffer, caption: content.text, mimetype: m.mimetype }
          : m.kind === 'video'
            ? { video: buffer, caption: content.text, mimetype: m.mimetype }
            : m.kind === 'audio'
              ? { audio: buffer, mimetype: m.mimetype }
              : { document: buffer, mimetype: m.mimetype, fileName: m.filename, caption: content.text };
    let sent: Awaited<ReturnType<WASocket['sendMessage']>>;
    try {
      // WhatsApp Web's id shape (3EB0 + 18 hex), derived from the queue id: a repeat after a failover is the same message
      sent = await sock.sendMessage(jid, message, opts.key ? { messageId: `3EB0${keyedHex(this.spec.clientRef, opts.key, 18)}` } : undefined);
    } catch (err) {
      // 463: WhatsApp's reach-out limit (too many first messages to new contacts); 429 / rate-overlimit: too many
      // messages — a pause, not a broken send (and not sent: the same key goes again after it)
      const status = (err as { output?: { statusCode?: number }; data?: unknown })?.output?.statusCode;
      const text = String((err as Error).message);
      if (status === 463 || /\b463\b/.test(text)) {
        throw new SessionError('WHATSAPP_RATE_LIMIT', `463: WhatsApp limits first messages to new contacts now: ${text}`);
      }
      if (status === 429 || /rate-overlimit/i.test(text))
        throw new SessionError('WHATSAPP_RATE_LIMIT', `429: WhatsApp limits this number's sending now: ${text}`);
      throw new SessionError('WHATSAPP_ERROR', `WhatsApp refused the message: ${(err as Error).message}`);
    }
    const id = sent?.key.id;
    if (!id) throw new SessionError('WHATSAPP_ERROR', 'WhatsApp gave no message id');
    if (sent?.message) this.store.saveSent(id, sent.message);
    return { messageId: id, timestamp: Date.now() };
  }
}

/** A number, `…@c.us`, `…@lid`, a group or a channel id → the jid Baileys addresses. */
const jidOf = (to: string) => (to.includes('@') ? to.replace(/@c\.us$/, '@s.whatsapp.net') : `${to.replace(/^\+/, '')}@s.whatsapp.net`);

/** A stream's bytes, refused (the stream destroyed) past `max`. */
async function readCapped(stream: AsyncIterable<Uint8Array> & { destroy(): void }, max: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += chunk.byteLength;
    if (total > max) {
      stream.destroy();
      throw tooLarge(total);
    }
    chunks.push(chunk);
  }
  return new Uint8Array(Buffer.concat(chunks));
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
