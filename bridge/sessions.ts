// One session per client, every operation on a client serialized, and never two sockets for one client.
import {
  type BridgeEvent,
  MAX_LINK_MEDIA_BYTES,
  NOT_SENT_CODES,
  type OpInput,
  type PairingMethod,
  type Sent,
  type SendOutcome,
  type SendParams,
  type SessionSpec,
} from '../adapters/protocol.ts';
import type { BridgeDb } from './db.ts';
import { fetchMedia } from './media.ts';
import { type SandboxControls, SessionError, type Session, type TransportFactory } from './transports/transport.ts';

/** Refusals that happen before a message can have left. */
const NOT_SENT = new Set<string>(NOT_SENT_CODES);

/** One operation on a client (a send with its media download included) may take this long. */
export const OP_TIMEOUT_MS = 60_000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SessionError('BRIDGE_OP_TIMEOUT', `The WhatsApp operation did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([work, limit]).finally(() => clearTimeout(timer));
}

export const tooLarge = (bytes: number) =>
  new SessionError('MEDIA_TOO_LARGE', `The media is ${bytes} bytes; at most ${MAX_LINK_MEDIA_BYTES} can be downloaded through the API`);

interface Entry {
  spec: SessionSpec;
  session: Session;
  queue: Promise<unknown>;
  /** stopped: work still queued behind the stop must not run (a queued start would open an untracked socket) */
  stopped?: boolean;
}

export class Sessions {
  private readonly entries = new Map<number, Entry>();
  private readonly factory: TransportFactory;
  private readonly emit: (clientRef: number, event: BridgeEvent) => void;
  private readonly allowPrivateMedia: boolean;

  private readonly db: BridgeDb | undefined;
  private readonly opTimeoutMs: number;

  constructor(opts: {
    factory: TransportFactory;
    emit: (clientRef: number, event: BridgeEvent) => void;
    allowPrivateMedia: boolean;
    db?: BridgeDb;
    /** how long one operation on a client may take before it fails and the client's queue moves on */
    opTimeoutMs?: number;
  }) {
    this.db = opts.db;
    this.opTimeoutMs = opts.opTimeoutMs ?? OP_TIMEOUT_MS;
    this.factory = opts.factory;
    this.emit = opts.emit;
    this.allowPrivateMedia = opts.allowPrivateMedia;
  }

  has(clientRef: number): boolean {
    return this.entries.has(clientRef);
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Runs `fn` after every earlier operation on the same client. An operation that hangs (a stuck socket,
   * a slow media host) fails after the time limit and the queue moves on; it may still finish later.
   */
  private serial<T>(clientRef: number, fn: () => Promise<T>): Promise<T> {
    const entry = this.entries.get(clientRef);
    const limited = () =>
      entry?.stopped ? Promise.reject(new SessionError('SESSION_NOT_FOUND', 'The session was stopped (its lease ended)')) : withTimeout(fn(), this.opTimeoutMs);
    if (!entry) return limited();
    const run = entry.queue.then(limited, limited);
    entry.queue = run.catch(() => undefined);
    return run;
  }

  private entry(spec: SessionSpec): Entry {
    let entry = this.entries.get(spec.clientRef);
    if (!entry) {
      const session = this.factory(spec, (event) => this.emit(spec.clientRef, event));
      entry = { spec, session, queue: Promise.resolve() };
      this.entries.set(spec.clientRef, entry);
    }
    return entry;
  }

  start(spec: SessionSpec, opts: { pairingMethod?: PairingMethod } = {}) {
    const entry = this.entry(spec);
    return this.serial(spec.clientRef, () => entry.session.start(opts));
  }

  /** The edge's list of clients this bridge holds: start those, stop the rest. */
  async reconcile(specs: SessionSpec[]): Promise<void> {
    const wanted = new Set(specs.map((s) => s.clientRef));
    for (const ref of [...this.entries.keys()]) if (!wanted.has(ref)) await this.stop(ref);
    await Promise.all(specs.map((s) => this.start(s).catch((err) => console.error(`session ${s.clientId} failed to start`, err))));
  }

  /** Closes the session's socket now, not after the operations queued on it (a lease that ended must not wait). */
  async stop(clientRef: number): Promise<void> {
    const entry = this.entries.get(clientRef);
    if (!entry) return;
    entry.stopped = true;
    this.entries.delete(clientRef);
    await entry.session.stop();
  }

  async logout(spec: SessionSpec): Promise<void> {
    const entry = this.entry(spec);
    await this.serial(spec.clientRef, () => entry.session.logout());
    this.entries.delete(spec.clientRef);
  }

  private require(clientRef: number): Entry {
    const entry = this.entries.get(clientRef);
    if (!entry) throw new SessionError('SESSION_NOT_FOUND', 'This bridge holds no session for the client');
    return entry;
  }

  async send(clientRef: number, params: SendParams): Promise<Sent> {
    const entry = this.require(clientRef);
    // a keyed send happens once, even if the edge asks again after a crash
    return this.serial(clientRef, () => this.keyedSend(clientRef, entry, params));
  }

  /** Many sends for one client in one serialized run; each item answers for itself. */
  async sendBatch(clientRef: number, { items }: OpInput<'sendBatch'>): Promise<SendOutcome[]> {
    const entry = this.require(clientRef);
    return this.serial(clientRef, async () => {
      const out: SendOutcome[] = [];
      for (const params of items) {
        try {
          out.push({ ok: true, ...(await this.keyedSend(clientRef, entry, params)) });
        } catch (err) {
          out.push({ ok: false, code: (err as SessionError).code ?? 'BRIDGE_ERROR', message: (err as Error).message });
        }
      }
      return out;
    });
  }

  /**
   * A keyed send happens at most once, even across a crash: the key is recorded as `sending` before the
   * message leaves and as `sent` with its result after. A repeat finds the result — or, if an earlier
   * attempt may have sent it without recording the outcome, refuses rather than send it twice.
   */
  private async keyedSend(clientRef: number, entry: Entry, params: SendParams): Promise<Sent> {
    const { key } = params;
    if (!key || !this.db) return this.sendNow(entry, params);
    const db = this.db;
    const known = db.prepare('SELECT state, result FROM send_keys WHERE client_ref = ? AND key = ?').get(clientRef, key) as
      | { state: 'sending' | 'sent'; result: string | null }
      | undefined;
    if (known?.state === 'sent' && known.result) return JSON.parse(known.result) as Sent;
    if (known) throw new SessionError('SEND_OUTCOME_UNKNOWN', 'An earlier attempt with this key may have sent the message; it is not sent again');
    db.prepare("INSERT INTO send_keys (client_ref, key, state, at) VALUES (?, ?, 'sending', ?)").run(clientRef, key, Date.now());
    let result: Sent;
    try {
      result = await this.sendNow(entry, params);
    } catch (err) {
      // refused before anything left: the key is free for another try
      if (err instanceof SessionError && NOT_SENT.has(err.code)) db.prepare('DELETE FROM send_keys WHERE client_ref = ? AND key = ?').run(clientRef, key);
      throw err;
    }
    db.prepare("UPDATE send_keys SET state = 'sent', result = ? WHERE client_ref = ? AND key = ?").run(JSON.stringify(result), clientRef, key);
    return result;
  }

  private async sendNow(entry: Entry, params: SendParams): Promise<Sent> {
    const media = params.media ? { ...(await fetchMedia(params.media.url, { allowPrivate: this.allowPrivateMedia })), kind: params.media.kind } : undefined;
    return entry.session.send(params.to, { text: params.text, media }, params.key ? { key: params.key } : undefined);
  }

  async media(clientRef: number, messageId: string) {
    const entry = this.require(clientRef);
    const media = await withTimeout(entry.session.media(messageId), this.opTimeoutMs);
    if (media.data.byteLength > MAX_LINK_MEDIA_BYTES) throw tooLarge(media.data.byteLength);
    return media;
  }

  async read(clientRef: number, chatId: string, messageIds: string[]) {
    const entry = this.require(clientRef);
    return this.serial(clientRef, () => entry.session.read(chatId, messageIds));
  }

  async groups(clientRef: number) {
    const entry = this.require(clientRef);
    return this.serial(clientRef, () => entry.session.groups());
  }

  /** Not serialized behind sends: pictures are looked up (and cached) by the transport, read-only. */
  async pictures(clientRef: number, chatIds: string[]) {
    const entry = this.require(clientRef);
    return entry.session.pictures ? entry.session.pictures(chatIds) : chatIds.map((chatId) => ({ chatId, url: null }));
  }

  /** Runs one of the sandbox's controls on the client's session, in its order. */
  async sandbox<T>(clientRef: number, run: (controls: SandboxControls) => Promise<T>): Promise<T> {
    const { session } = this.require(clientRef);
    const controls = session.sandbox;
    if (!controls) throw new SessionError('NOT_SUPPORTED', 'This needs the sandbox transport');
    return this.serial(clientRef, () => run(controls));
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.entries.keys()].map((ref) => this.stop(ref)));
  }
}
