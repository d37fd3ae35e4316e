// The sandbox transport: a simulated WhatsApp network. Pairing is a "scan" of a real QR code;
// sends land in the network's list of what it received and are acknowledged (delivered, then read) like real ones.
import { randomBytes } from 'node:crypto';
import { bytesToCrockford } from '@whiskeysockets/baileys';
import { chatIdOf, type GroupInfo, isChannelId, isGroupId, MAX_LINK_MEDIA_BYTES, type SessionSpec } from '../../../adapters/protocol.ts';
import { SANDBOX_CHANNELS, SANDBOX_CONTACTS, SANDBOX_GROUPS, SANDBOX_UNREACHABLE } from './world.ts';
import { fetchMedia } from '../../media.ts';
import { CLEAR_ALL } from '../../auth-state.ts';
import type { BridgeDb } from '../../db.ts';
import { qrPng } from '../../qr.ts';
import { mediaFromUrl } from '../../../adapters/media.ts';
import { type Emit, keyedHex, type SandboxControls, SessionError, type Session, type StartResult, type TransportFactory } from '../transport.ts';
import { SandboxNetwork } from './network.ts';

/** How many named inbound messages (ids the edge gave) are remembered per client, so a repeat is not a second message. */
const INBOUND_KEPT = 5000;
const digits = (s: unknown, field: string): string => {
  const v = typeof s === 'string' ? s.replace(/^\+/, '').replace(/@.*$/, '') : '';
  if (!/^\d{6,15}$/.test(v)) throw new SessionError('VALIDATION_ERROR', `${field}: a phone number with country code`);
  return v;
};

class SandboxSession implements Session {
  private readonly spec: SessionSpec;
  private readonly emit: Emit;
  private readonly db: BridgeDb;
  private status: StartResult['status'] = 'disconnected';
  private qr: { qr: string; png: string } | undefined;
  private pairingCode: string | undefined;
  /** how this number pairs until it is paired: kept across restarts of the session (a reconnecting link) */
  private pairing: 'qr' | 'code' = 'qr';
  private readonly timers = new Set<NodeJS.Timeout>();
  private ackDelayMs: number;
  /** named inbound messages recorded since the start: pruning runs every 100th (and the first) */
  private inboundRecorded = 0;

  private readonly allowPrivateMedia: boolean;

  /** WhatsApp's reach-out limit, simulated: first messages to numbers that never wrote to this one, per day */
  private readonly reachOutLimit: number;
  private readonly wroteToUs = new Set<string>();
  private reachedOut = { day: '', numbers: new Set<string>() };

  /** what the network remembers of this number's sends (shared by the bridges of a state dir) */
  private readonly network: SandboxNetwork;

  constructor(spec: SessionSpec, emit: Emit, db: BridgeDb, opts: Required<Omit<SandboxOptions, 'reachOutLimit'>> & { reachOutLimit?: number }) {
    this.reachOutLimit = opts.reachOutLimit ?? Number.POSITIVE_INFINITY;
    this.spec = spec;
    this.emit = emit;
    this.db = db;
    this.ackDelayMs = opts.ackDelayMs;
    this.allowPrivateMedia = opts.allowPrivateMedia;
    this.network = opts.network;
  }

  private paired(): string | undefined {
    const row = this.db.prepare('SELECT number FROM sandbox_pairings WHERE client_ref = ?').get(this.spec.clientRef) as { number: string } | undefined;
    return row?.number;
  }

  private setStatus(status: StartResult['status'], connectedNumber: string | null, reason?: string) {
    this.status = status;
    this.emit({ kind: 'status', status, connectedNumber, ...(reason ? { reason } : {}) });
  }

  async start(opts: { pairingMethod?: 'qr' | 'code' } = {}): Promise<StartResult> {
    const number = this.paired();
    if (number) {
      if (this.status !== 'connected') this.setStatus('connected', `${number}@c.us`);
      return { status: 'connected', connectedNumber: `${number}@c.us` };
    }
    if (opts.pairingMethod) this.pairing = opts.pairingMethod;
    if (this.pairing === 'code') {
      // like WhatsApp: 8 characters of Crockford base32, typed on the phone (here: POST /api/sandbox/{id}/pair)
      if (this.status !== 'pending_auth' || !this.pairingCode) {
        this.pairingCode = bytesToCrockford(randomBytes(5));
        this.qr = undefined;
        this.emit({ kind: 'pairing_code', code: this.pairingCode });
        this.setStatus('pending_auth', null);
      }
      return { status: 'pending_auth', connectedNumber: null, pairingCode: this.pairingCode };
    }
    this.pairingCode = undefined;
    if (this.status !== 'pending_auth' || !this.qr) {
      const qr = `sandbox:${this.spec.clientId}:${randomBytes(12).toString('hex')}`;
      this.qr = { qr, png: await qrPng(qr) };
      this.emit({ kind: 'qr', ...this.qr });
      this.setStatus('pending_auth', null);
    }
    return { status: 'pending_auth', connectedNumber: null, qr: this.qr };
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.status = 'disconnected';
  }

  async logout(): Promise<void> {
    await this.stop();
    this.db.prepare('DELETE FROM sandbox_pairings WHERE client_ref = ?').run(this.spec.clientRef);
    this.emit({ kind: 'auth', entries: [{ type: CLEAR_ALL, id: '', value: null }] });
    this.qr = undefined;
    this.setStatus('logged_out', null, 'logged out');
  }

  private requireConnected() {
    if (this.status !== 'connected') throw new SessionError('SESSION_NOT_CONNECTED', 'The WhatsApp session is not connected; scan its QR code first');
  }

  /** Read receipts the simulated contacts got: chatId → message ids. */
  readonly receipts = new Map<string, string[]>();

  async read(chatId: string, messageIds: string[]): Promise<void> {
    this.requireConnected();
    this.receipts.set(chatId, [...(this.receipts.get(chatId) ?? []), ...messageIds]);
  }

  async media(messageId: string) {
    const row = this.db.prepare('SELECT ref FROM media_refs WHERE client_ref = ? AND message_id = ?').get(this.spec.clientRef, messageId) as
      | { ref: string }
      | undefined;
    if (!row) throw new SessionError('MEDIA_NOT_FOUND', 'This message has no media');
    const media = await fetchMedia(JSON.parse(row.ref).url, { allowPrivate: this.allowPrivateMedia, maxBytes: MAX_LINK_MEDIA_BYTES }).catch((err: Error) => {
      throw /larger than/.test(err.message) ? new SessionError('MEDIA_TOO_LARGE', err.message) : err;
    });
    return { data: media.data, mimetype: media.mimetype, filename: media.filename };
  }

  async groups(): Promise<GroupInfo[]> {
    this.requireConnected();
    return [
      ...SANDBOX_GROUPS.map((g) => ({
        id: g.id,
        name: g.name,
        description: g.description,
        type: 'group' as const,
        isReadOnly: g.readOnly,
        participants: g.participants.length,
        owner: g.owner,
        createdAt: 1_699_000_000,
      })),
      ...SANDBOX_CHANNELS.map((c) => ({
        id: c.id,
        name: c.name,
        description: c.description,
        type: 'channel' as const,
        isReadOnly: c.readOnly,
        participants: 0,
        owner: null,
        createdAt: null,
      })),
    ];
  }

  async send(to: string, content: { text?: string; media?: { kind: string; filename: string } }, opts: { key?: string } = {}) {
    this.requireConnected();
    let number: string;
    if (isGroupId(to) || isChannelId(to)) {
      const chat = [...SANDBOX_GROUPS, ...SANDBOX_CHANNELS].find((g) => g.id === to);
      if (!chat) throw new SessionError('GROUP_NOT_FOUND', 'No such group or channel');
      if (chat.readOnly) throw new SessionError('READ_ONLY_CHAT', 'Only admins can send to this group or channel');
      number = to;
    } else {
      number = digits(to, 'to');
      this.checkReachOut(number);
    }
    const { entry } = this.network.send(this.spec.clientRef, {
      id: `SB${opts.key ? keyedHex(this.spec.clientRef, opts.key, 16) : randomBytes(8).toString('hex').toUpperCase()}`,
      to: number,
      body: content.text ?? '',
      type: content.media ? content.media.kind : 'chat',
      timestamp: Date.now(),
    });
    // The simulated recipient's phone: delivered, then read (a phone that is off never acknowledges)
    if (number === SANDBOX_UNREACHABLE) return { messageId: entry.id, timestamp: entry.timestamp };
    for (const [ack, delay] of [
      [2, this.ackDelayMs],
      [3, this.ackDelayMs * 2],
    ] as const) {
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.emit({ kind: 'ack', messageId: entry.id, to: number, ack });
      }, delay);
      this.timers.add(t);
    }
    return { messageId: entry.id, timestamp: entry.timestamp };
  }

  /** A first message to a number that never wrote to us counts against the day's reach-out limit (WhatsApp's 463). */
  private checkReachOut(number: string) {
    if (this.wroteToUs.has(number)) return;
    const day = new Date().toISOString().slice(0, 10);
    if (this.reachedOut.day !== day) this.reachedOut = { day, numbers: new Set() };
    if (this.reachedOut.numbers.has(number)) return;
    if (this.reachedOut.numbers.size >= this.reachOutLimit) {
      throw new SessionError('WHATSAPP_RATE_LIMIT', `463: reach-out limit of ${this.reachOutLimit} new contacts a day reached; try again later`);
    }
    this.reachedOut.numbers.add(number);
  }

  /** The first result of an inbound message the edge named by its id, if it was emitted already. */
  private inboundSeen(id: string): { messageId: string; timestamp: number } | undefined {
    const row = this.db.prepare('SELECT key FROM inbound_keys WHERE client_ref = ? AND message_id = ?').get(this.spec.clientRef, id) as
      | { key: string }
      | undefined;
    return row ? JSON.parse(row.key) : undefined;
  }

  /** Records a named inbound message (in `inbound_keys`, as the Baileys store records received ones), bounded per client. */
  private inboundRecord(id: string, result: { messageId: string; timestamp: number }) {
    const ref = this.spec.clientRef;
    this.db
      .prepare('INSERT OR IGNORE INTO inbound_keys (client_ref, message_id, key, at) VALUES (?, ?, ?, ?)')
      .run(ref, id, JSON.stringify(result), Date.now());
    if (++this.inboundRecorded % 100 === 1)
      this.db
        .prepare(
          'DELETE FROM inbound_keys WHERE client_ref = ?1 AND message_id NOT IN (SELECT message_id FROM inbound_keys WHERE client_ref = ?1 ORDER BY at DESC LIMIT ?2)',
        )
        .run(ref, INBOUND_KEPT);
  }

  /** The phone linked this number (scanned its QR or typed its code). */
  private link() {
    this.db.prepare('INSERT OR REPLACE INTO sandbox_pairings (client_ref, number) VALUES (?, ?)').run(this.spec.clientRef, this.spec.phoneNumber);
    // the pairing is this session's auth state: the edge keeps it, so another bridge resumes without a scan
    this.emit({ kind: 'auth', entries: [{ type: 'sandbox', id: 'pairing', value: this.spec.phoneNumber }] });
    this.qr = undefined;
    this.pairingCode = undefined;
    this.setStatus('connected', `${this.spec.phoneNumber}@c.us`);
    return { status: 'connected' as const, connectedNumber: `${this.spec.phoneNumber}@c.us` };
  }

  /** The simulated network's side: the phone that scans, contacts that write, react and call. */
  readonly sandbox: SandboxControls = {
    scan: async () => {
      if (this.status === 'connected') return { status: 'connected', connectedNumber: `${this.paired()}@c.us` };
      if (this.status !== 'pending_auth' || !this.qr) throw new SessionError('NO_PENDING_QR', 'There is no QR code waiting to be scanned');
      return this.link();
    },
    pair: async ({ code }) => {
      if (this.status === 'connected') return { status: 'connected', connectedNumber: `${this.paired()}@c.us` };
      if (this.status !== 'pending_auth' || !this.pairingCode) throw new SessionError('NO_PENDING_CODE', 'There is no pairing code waiting to be typed');
      if (code.replace(/[\s-]/g, '').toUpperCase() !== this.pairingCode)
        throw new SessionError('VALIDATION_ERROR', 'That is not the pairing code this number showed');
      return this.link();
    },
    inbound: async ({ from: rawFrom, message = '', mediaUrl, groupId, id, sentAt }) => {
      this.requireConnected();
      const from = digits(rawFrom, 'from');
      this.wroteToUs.add(from);
      if (!message && !mediaUrl) throw new SessionError('VALIDATION_ERROR', 'message or mediaUrl is required');
      const media = mediaUrl ? mediaFromUrl(mediaUrl) : undefined;
      if (media && !media.ok) throw new SessionError('MEDIA_ERROR', media.error);
      // a message the edge names (its offline queue, or a retry after a timeout) arrives once: a repeat answers the first result
      const earlier = id ? this.inboundSeen(id) : undefined;
      if (earlier) return earlier;
      const messageId = id ?? `SBIN${randomBytes(8).toString('hex').toUpperCase()}`;
      const timestamp = sentAt ?? Date.now();
      if (id) this.inboundRecord(id, { messageId, timestamp });
      if (mediaUrl)
        this.db
          .prepare('INSERT OR REPLACE INTO media_refs (client_ref, message_id, ref, at) VALUES (?, ?, ?, ?)')
          .run(this.spec.clientRef, messageId, JSON.stringify({ url: mediaUrl }), timestamp);
      const pushName = SANDBOX_CONTACTS.find((c) => c.number === from)?.name;
      this.emit({
        kind: 'message',
        messageId,
        from,
        chatId: groupId ?? chatIdOf(from),
        fromMe: false,
        body: message,
        type: media?.ok ? media.value.kind : 'chat',
        timestamp,
        hasMedia: Boolean(mediaUrl),
        ...(media?.ok ? { mimetype: media.value.mimetype, filename: media.value.filename } : {}),
        ...(pushName ? { pushName } : {}),
        ...(groupId ? { groupId } : {}),
      });
      return { messageId, timestamp };
    },
    react: async ({ from, messageId, emoji }) => {
      this.requireConnected();
      this.emit({ kind: 'reaction', messageId, from: digits(from, 'from'), emoji });
      return { reacted: true };
    },
    call: async ({ from, isVideo }) => {
      this.requireConnected();
      const callId = `SBCALL${randomBytes(6).toString('hex').toUpperCase()}`;
      const timestamp = Date.now();
      // rejected at once, as the real transport does
      this.emit({ kind: 'call', callId, from: digits(from, 'from'), isVideo: isVideo === true, timestamp });
      return { callId, rejected: true, timestamp };
    },
    sent: async () => this.network.sent(this.spec.clientRef),
  };
}

export interface SandboxOptions {
  ackDelayMs?: number;
  allowPrivateMedia?: boolean;
  reachOutLimit?: number;
  /** the network's shared memory (STATE_DIR/sandbox-network.sqlite); by default kept in the bridge's own db */
  network?: SandboxNetwork;
}

export const sandboxTransport = (db: BridgeDb, opts: SandboxOptions = {}): TransportFactory => {
  const network = opts.network ?? new SandboxNetwork(db);
  return (spec, emit) =>
    new SandboxSession(spec, emit, db, {
      ackDelayMs: opts.ackDelayMs ?? 500,
      allowPrivateMedia: opts.allowPrivateMedia ?? false,
      reachOutLimit: opts.reachOutLimit,
      network,
    });
};
