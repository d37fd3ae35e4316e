// The bridges' WebSocket links (hibernation API). Bridges dial in with their own credential; the Worker
// checks it and tells this object which bridge id the link is (`x-bridge-id`). A link speaks only for
// that id: its hello must name it, a live link of the same id cannot be taken over, and it may send
// events and answers only for the clients assigned to it. Each client is held by one bridge (never two
// sockets for one number). Requests go out as `req` frames; events come in, are processed and acked.
import { DurableObject } from 'cloudflare:workers';
import { type BridgeFrame, BridgeFrameSchema, type EdgeFrame, type EventFrame, type Op, type RawBridgeResult } from '../../adapters/protocol.ts';
import type { TransportName } from '../../adapters/vocabulary.ts';
import type { Bindings } from '../env.ts';
import { getDb } from '../db/client.ts';
import { credentialIsLive } from '../services/bridge-credentials.ts';
import { handleBridgeEvents, onlyAcks, recordAckRuns, sessionsFor } from '../services/bridge-events.ts';
import type { BridgeLinkRpc, LinkStatus } from './contracts.ts';

interface Attachment {
  /** the id its credential names (set by the Worker, never by the bridge) */
  bridgeId: string;
  /** which credential opened it: checked again at hello (a revocation in between closes it) */
  tokenHash: string;
  acceptedAt: number;
  /** set by its hello */
  transport: TransportName | null;
  version?: string | null;
}

const REQUEST_TIMEOUT_MS = 20_000;
/** A link that showed no sign of life for this long may be replaced by a new one of the same bridge. */
export const LINK_SILENCE_MS = 45_000;
/** Larger frames are refused (the link is closed with 1009). */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024;

type Pending = { resolve: (r: RawBridgeResult) => void; timer: ReturnType<typeof setTimeout>; ws: WebSocket };

export class BridgeLink extends DurableObject<Bindings> implements BridgeLinkRpc {
  private readonly pending = new Map<string, Pending>();
  private readonly sql: SqlStorage;
  private readonly chains = new Map<number, Promise<unknown>>();
  private readonly lastSeen = new WeakMap<WebSocket, number>();

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec('CREATE TABLE IF NOT EXISTS assignments (client_ref INTEGER PRIMARY KEY, bridge_id TEXT NOT NULL)');
    this.sql.exec('CREATE TABLE IF NOT EXISTS watched (client_ref INTEGER PRIMARY KEY)');
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('ping', 'pong'));
  }

  private attachment(ws: WebSocket): Attachment | null {
    return ws.deserializeAttachment() as Attachment | null;
  }

  /** When the link last showed life: a frame, an auto-answered ping, or its opening. */
  private seenAt(ws: WebSocket, att: Attachment): number {
    return Math.max(this.lastSeen.get(ws) ?? 0, this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0, att.acceptedAt);
  }

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return new Response('expected a WebSocket upgrade', { status: 426 });
    const bridgeId = request.headers.get('x-bridge-id');
    const tokenHash = request.headers.get('x-bridge-token-hash') ?? '';
    if (!bridgeId) return Response.json({ success: false, code: 'AUTH_ERROR', error: 'No bridge identity' }, { status: 401 });
    const now = Date.now();
    for (const ws of this.ctx.getWebSockets()) {
      const att = this.attachment(ws);
      if (att?.bridgeId !== bridgeId) continue;
      if (ws.readyState === 1 && now - this.seenAt(ws, att) < LINK_SILENCE_MS) {
        return Response.json({ success: false, code: 'BRIDGE_ID_IN_USE', error: `Bridge ${bridgeId} already has a live link` }, { status: 409 });
      }
      this.drop(ws, 4000, 'replaced after silence');
    }
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    pair[1].serializeAttachment({ bridgeId, tokenHash, acceptedAt: now, transport: null } satisfies Attachment);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  private drop(ws: WebSocket, code: number, reason: string) {
    ws.serializeAttachment(null);
    try {
      ws.close(code, reason);
    } catch {
      // already closing
    }
  }

  /** Links that said hello. */
  private bridges(): { ws: WebSocket; att: Attachment }[] {
    return this.ctx
      .getWebSockets()
      .map((ws) => ({ ws, att: this.attachment(ws) }))
      .filter((b): b is { ws: WebSocket; att: Attachment } => Boolean(b.att?.transport) && b.ws.readyState === 1);
  }

  private send(ws: WebSocket, frame: EdgeFrame) {
    ws.send(JSON.stringify(frame));
  }

  private assignedTo(clientRef: number): string | undefined {
    return this.sql.exec<{ bridge_id: string }>('SELECT bridge_id FROM assignments WHERE client_ref = ?', clientRef).toArray()[0]?.bridge_id;
  }

  /** The socket of the bridge holding this client; a client without a bridge goes to the least loaded one. */
  private socketFor(clientRef: number): WebSocket | undefined {
    const bridges = this.bridges();
    const assigned = this.assignedTo(clientRef);
    if (assigned) return bridges.find((b) => b.att.bridgeId === assigned)?.ws;
    if (!bridges.length) return undefined;
    const load = new Map(
      this.sql
        .exec<{ bridge_id: string; n: number }>('SELECT bridge_id, count(*) AS n FROM assignments GROUP BY bridge_id')
        .toArray()
        .map((r) => [r.bridge_id, r.n]),
    );
    const pick = bridges.sort((a, b) => (load.get(a.att.bridgeId) ?? 0) - (load.get(b.att.bridgeId) ?? 0))[0]!;
    this.sql.exec('INSERT OR REPLACE INTO assignments (client_ref, bridge_id) VALUES (?, ?)', clientRef, pick.att.bridgeId);
    return pick.ws;
  }

  /** Asks the bridge holding the client; the answer is checked against the op's schema by the caller. */
  async request(clientRef: number, op: Op, params: Record<string, unknown> = {}, timeoutMs = REQUEST_TIMEOUT_MS): Promise<RawBridgeResult> {
    const ws = this.socketFor(clientRef);
    if (!ws) return { ok: false, code: 'BRIDGE_UNAVAILABLE', message: 'No bridge is connected to hold this WhatsApp session' };
    const id = crypto.randomUUID();
    const result = new Promise<RawBridgeResult>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ ok: false, code: 'BRIDGE_TIMEOUT', message: `The bridge did not answer within ${timeoutMs} ms` });
      }, timeoutMs);
      this.pending.set(id, { resolve, timer, ws });
    });
    try {
      this.send(ws, { t: 'req', id, clientRef, op, params });
    } catch {
      this.pending.get(id)?.resolve({ ok: false, code: 'BRIDGE_UNAVAILABLE', message: 'The bridge link is closed' });
    }
    return result;
  }

  /** Whether someone has the client's live socket open (its ClientHub says so). */
  watch(clientRef: number, on: boolean): void {
    if (on) this.sql.exec('INSERT OR IGNORE INTO watched (client_ref) VALUES (?)', clientRef);
    else this.sql.exec('DELETE FROM watched WHERE client_ref = ?', clientRef);
  }

  private watched(clientRef: number): boolean {
    return this.sql.exec('SELECT 1 FROM watched WHERE client_ref = ?', clientRef).toArray().length > 0;
  }

  /** The client is gone: its bridge forgets the session. */
  forget(clientRef: number): void {
    this.sql.exec('DELETE FROM assignments WHERE client_ref = ?', clientRef);
  }

  /** The bridge's credential was revoked: its links close now. */
  disconnect(bridgeId: string): number {
    const links = this.ctx.getWebSockets().filter((ws) => this.attachment(ws)?.bridgeId === bridgeId);
    for (const ws of links) this.drop(ws, 4401, 'credential revoked');
    return links.length;
  }

  /** The links that said hello; with `detail`, the clients each holds (admin view). */
  status(detail = false): LinkStatus {
    const assigned = new Map<string, number[]>();
    if (detail)
      for (const r of this.sql.exec<{ client_ref: number; bridge_id: string }>('SELECT client_ref, bridge_id FROM assignments ORDER BY client_ref').toArray()) {
        assigned.set(r.bridge_id, [...(assigned.get(r.bridge_id) ?? []), r.client_ref]);
      }
    const bridges = this.bridges().map((b) => ({
      bridgeId: b.att.bridgeId,
      transport: b.att.transport ?? 'unknown',
      version: b.att.version ?? null,
      lastSeenAt: this.seenAt(b.ws, b.att),
      clientRefs: assigned.get(b.att.bridgeId) ?? [],
    }));
    return { connected: bridges.length > 0, bridges };
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const att = this.attachment(ws);
    if (!att) return; // dropped
    this.lastSeen.set(ws, Date.now());
    const size = typeof message === 'string' ? message.length : message.byteLength;
    if (size > MAX_FRAME_BYTES) {
      console.error(`bridge link ${att.bridgeId}: frame of ${size} bytes refused`);
      this.drop(ws, 1009, 'frame too large');
      return;
    }
    let frame: BridgeFrame;
    try {
      frame = BridgeFrameSchema.parse(JSON.parse(typeof message === 'string' ? message : new TextDecoder().decode(message)));
    } catch {
      console.error(`bridge link ${att.bridgeId}: malformed frame`, String(message).slice(0, 200));
      return;
    }
    if (frame.t === 'hello') return this.hello(ws, att, frame);
    if (!att.transport) {
      this.drop(ws, 4400, 'hello first');
      return;
    }
    if (frame.t === 'event') return this.event(ws, att, [frame]);
    if (frame.t === 'events') return this.event(ws, att, frame.events);
    const waiting = this.pending.get(frame.id);
    // an answer counts only from the link the request went to
    if (!waiting || waiting.ws !== ws) return;
    clearTimeout(waiting.timer);
    this.pending.delete(frame.id);
    waiting.resolve(
      frame.ok ? { ok: true, result: frame.result ?? null } : { ok: false, code: frame.code ?? 'BRIDGE_ERROR', message: frame.message ?? 'The bridge refused' },
    );
  }

  private async hello(ws: WebSocket, att: Attachment, frame: Extract<BridgeFrame, { t: 'hello' }>) {
    if (frame.bridgeId !== att.bridgeId) {
      console.error(`bridge link: credential of ${att.bridgeId} said hello as ${frame.bridgeId}; closed`);
      this.drop(ws, 4403, 'bridge id does not match its credential');
      return;
    }
    // taken at once, so the events the bridge sends right behind its hello are not refused while we check
    ws.serializeAttachment({ ...att, transport: frame.transport, version: frame.version ?? null } satisfies Attachment);
    // revoked or re-issued since the Worker checked it: revocation updates D1 before it closes links,
    // so this check or that close catches every link
    if (!(await credentialIsLive(getDb(this.env.DB), att.bridgeId, att.tokenHash))) {
      this.drop(ws, 4401, 'credential revoked');
      return;
    }
    const sessions = await sessionsFor(this.env, (clientRef) => this.socketFor(clientRef) === ws);
    this.send(ws, { t: 'welcome', sessions });
  }

  /** One event or a frame of them: refused when not this bridge's client, else recorded in order per client and acked. */
  private async event(ws: WebSocket, att: Attachment, frames: EventFrame[]) {
    const mine: EventFrame[] = [];
    const refused: EventFrame[] = [];
    for (const f of frames) (this.assignedTo(f.clientRef) === att.bridgeId ? mine : refused).push(f);
    if (refused.length) {
      // not this bridge's clients: never recorded, never acted on; the bridge drops them
      console.error(`bridge link ${att.bridgeId}: ${refused.length} event(s) for clients it does not hold; refused`);
      this.send(ws, { t: 'reject', ids: refused.map((f) => f.id), reason: 'NOT_ASSIGNED' });
    }
    const byClient = new Map<number, EventFrame[]>();
    for (const f of mine) byClient.set(f.clientRef, [...(byClient.get(f.clientRef) ?? []), f]);
    // clients whose part of the frame is only acks (two follow every send) and who have nothing in
    // flight are recorded together in one D1 batch; the rest in order per client
    const ackOnly = [...byClient].filter(([clientRef, run]) => onlyAcks(run) && !this.chains.has(clientRef));
    for (const [clientRef] of ackOnly) byClient.delete(clientRef);
    const together = ackOnly.length
      ? this.inOrder(
          ackOnly.map(([clientRef]) => clientRef),
          () =>
            recordAckRuns(
              this.env,
              ackOnly.map(([, run]) => run),
              (p) => this.ctx.waitUntil(p),
              (clientRef) => this.watched(clientRef),
            ),
        ).then(
          (held) => ackOnly.flatMap(([, run]) => run.map((f) => f.id)).filter((id) => !held.has(id)),
          async (err: unknown) => {
            // one client's failure must not hold back the others: each on its own, in order
            console.error(`bridge link ${att.bridgeId}: recording acks together failed; one client at a time`, err);
            return (await Promise.all(ackOnly.map(([clientRef, run]) => this.recordRun(att, clientRef, run)))).flat();
          },
        )
      : Promise.resolve([]);
    const done = await Promise.all([together, ...[...byClient].map(([clientRef, run]) => this.recordRun(att, clientRef, run))]);
    const ids = done.flat();
    if (ids.length) this.send(ws, { t: 'ack', ids });
  }

  /** Runs `work` after what is in flight for these clients, and holds their later events behind it. */
  private inOrder<T>(clientRefs: number[], work: () => Promise<T>): Promise<T> {
    const previous = Promise.all(clientRefs.map((ref) => this.chains.get(ref) ?? Promise.resolve()));
    const running = previous.then(work);
    const settled = running.catch(() => undefined);
    for (const ref of clientRefs) this.chains.set(ref, settled);
    void settled.then(() => {
      for (const ref of clientRefs) if (this.chains.get(ref) === settled) this.chains.delete(ref);
    });
    return running;
  }

  /** One client's events, in the order the bridge sent them; the ids to acknowledge (none on failure: the bridge sends them again). */
  private recordRun(att: Attachment, clientRef: number, run: EventFrame[]): Promise<string[]> {
    return this.inOrder([clientRef], () => handleBridgeEvents(this.env, run, (p) => this.ctx.waitUntil(p), this.watched(clientRef))).then(
      (held) => run.map((f) => f.id).filter((id) => !held.has(id)),
      (err: unknown) => {
        console.error(`bridge link ${att.bridgeId}: recording events of client ${clientRef} failed`, err);
        return [];
      },
    );
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    // what was asked of this link will never be answered: fail it now, not at its timeout
    for (const [id, waiting] of this.pending) {
      if (waiting.ws !== ws) continue;
      clearTimeout(waiting.timer);
      this.pending.delete(id);
      waiting.resolve({ ok: false, code: 'BRIDGE_UNAVAILABLE', message: 'The bridge link closed before it answered' });
    }
    try {
      ws.close(code === 1005 ? 1000 : code, 'closing');
    } catch {
      // already closed
    }
  }
}
