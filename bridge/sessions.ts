// One session per client, every operation on a client serialized, and never two sockets for one client.
import type { BridgeEvent, OpInput, Sent, SendOutcome, SendParams, SessionSpec } from '../adapters/protocol.ts';
import type { BridgeDb } from './db.ts';
import { fetchMedia } from './media.ts';
import { type SandboxControls, SessionError, type Session, type TransportFactory } from './transports/transport.ts';

interface Entry {
  spec: SessionSpec;
  session: Session;
  queue: Promise<unknown>;
}

export class Sessions {
  private readonly entries = new Map<number, Entry>();
  private readonly factory: TransportFactory;
  private readonly emit: (clientRef: number, event: BridgeEvent) => void;
  private readonly allowPrivateMedia: boolean;

  private readonly db: BridgeDb | undefined;

  constructor(opts: { factory: TransportFactory; emit: (clientRef: number, event: BridgeEvent) => void; allowPrivateMedia: boolean; db?: BridgeDb }) {
    this.db = opts.db;
    this.factory = opts.factory;
    this.emit = opts.emit;
    this.allowPrivateMedia = opts.allowPrivateMedia;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Runs `fn` after every earlier operation on the same client. */
  private serial<T>(clientRef: number, fn: () => Promise<T>): Promise<T> {
    const entry = this.entries.get(clientRef);
    if (!entry) return fn();
    const run = entry.queue.then(fn, fn);
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

  start(spec: SessionSpec) {
    const entry = this.entry(spec);
    return this.serial(spec.clientRef, () => entry.session.start());
  }

  /** The edge's list of clients this bridge holds: start those, stop the rest. */
  async reconcile(specs: SessionSpec[]): Promise<void> {
    const wanted = new Set(specs.map((s) => s.clientRef));
    for (const ref of [...this.entries.keys()]) if (!wanted.has(ref)) await this.stop(ref);
    await Promise.all(specs.map((s) => this.start(s).catch((err) => console.error(`session ${s.clientId} failed to start`, err))));
  }

  async stop(clientRef: number): Promise<void> {
    const entry = this.entries.get(clientRef);
    if (!entry) return;
    await this.serial(clientRef, () => entry.session.stop());
    this.entries.delete(clientRef);
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

  private async keyedSend(clientRef: number, entry: Entry, params: SendParams): Promise<Sent> {
    if (params.key && this.db) {
      const done = this.db.prepare('SELECT result FROM sent_keys WHERE client_ref = ? AND key = ?').get(clientRef, params.key) as
        | { result: string }
        | undefined;
      if (done) return JSON.parse(done.result) as Sent;
    }
    const result = await this.sendNow(entry, params);
    if (params.key && this.db) {
      this.db
        .prepare('INSERT OR REPLACE INTO sent_keys (client_ref, key, result, at) VALUES (?, ?, ?, ?)')
        .run(clientRef, params.key, JSON.stringify(result), Date.now());
    }
    return result;
  }

  private async sendNow(entry: Entry, params: SendParams): Promise<Sent> {
    const media = params.media ? { ...(await fetchMedia(params.media.url, { allowPrivate: this.allowPrivateMedia })), kind: params.media.kind } : undefined;
    return entry.session.send(params.to, { text: params.text, media });
  }

  async media(clientRef: number, messageId: string) {
    const entry = this.require(clientRef);
    return entry.session.media(messageId);
  }

  async read(clientRef: number, chatId: string, messageIds: string[]) {
    const entry = this.require(clientRef);
    return this.serial(clientRef, () => entry.session.read(chatId, messageIds));
  }

  async groups(clientRef: number) {
    const entry = this.require(clientRef);
    return this.serial(clientRef, () => entry.session.groups());
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
