// The bridges' WebSocket links (hibernation API). Bridges dial in; each client is held by one bridge
// (never two sockets for one number). Requests go out as `req` frames; events come in, are processed
// and acknowledged.
import { DurableObject } from 'cloudflare:workers';
import { type BridgeFrame, BridgeFrameSchema, type EdgeFrame, type Op, type RawBridgeResult } from '../../adapters/protocol.ts';
import type { TransportName } from '../../adapters/vocabulary.ts';
import type { Bindings } from '../env.ts';
import { handleBridgeEvent, sessionsFor } from '../services/bridge-events.ts';
import type { BridgeLinkRpc, LinkStatus } from './contracts.ts';

interface Attachment {
  bridgeId: string;
  transport: TransportName;
}

const REQUEST_TIMEOUT_MS = 20_000;

export class BridgeLink extends DurableObject<Bindings> implements BridgeLinkRpc {
  private readonly pending = new Map<string, { resolve: (r: RawBridgeResult) => void; timer: ReturnType<typeof setTimeout> }>();
  private readonly sql: SqlStorage;
  private readonly chains = new Map<number, Promise<unknown>>();

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec('CREATE TABLE IF NOT EXISTS assignments (client_ref INTEGER PRIMARY KEY, bridge_id TEXT NOT NULL)');
    this.sql.exec('CREATE TABLE IF NOT EXISTS watched (client_ref INTEGER PRIMARY KEY)');
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('ping', 'pong'));
  }

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return new Response('expected a WebSocket upgrade', { status: 426 });
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  private bridges(): { ws: WebSocket; att: Attachment }[] {
    return this.ctx
      .getWebSockets()
      .map((ws) => ({ ws, att: ws.deserializeAttachment() as Attachment | null }))
      .filter((b): b is { ws: WebSocket; att: Attachment } => Boolean(b.att?.bridgeId) && b.ws.readyState === 1);
  }

  private send(ws: WebSocket, frame: EdgeFrame) {
    ws.send(JSON.stringify(frame));
  }

  /** The socket of the bridge holding this client; a client without a bridge goes to the least loaded one. */
  private socketFor(clientRef: number): WebSocket | undefined {
    const bridges = this.bridges();
    const assigned = this.sql.exec<{ bridge_id: string }>('SELECT bridge_id FROM assignments WHERE client_ref = ?', clientRef).toArray()[0]?.bridge_id;
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
      this.pending.set(id, { resolve, timer });
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

  status(): LinkStatus {
    const bridges = this.bridges().map((b) => ({ bridgeId: b.att.bridgeId, transport: b.att.transport }));
    return { connected: bridges.length > 0, bridges };
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    let frame: BridgeFrame;
    try {
      frame = BridgeFrameSchema.parse(JSON.parse(typeof message === 'string' ? message : new TextDecoder().decode(message)));
    } catch {
      console.error('bridge link: malformed frame', String(message).slice(0, 200));
      return;
    }
    if (frame.t === 'hello') {
      // a bridge that reconnects replaces its old socket (never two links for one bridge)
      for (const old of this.bridges()) {
        if (old.att.bridgeId === frame.bridgeId && old.ws !== ws) {
          old.ws.serializeAttachment(null);
          try {
            old.ws.close(1000, 'replaced by a new link from the same bridge');
          } catch {
            // already closing
          }
        }
      }
      ws.serializeAttachment({ bridgeId: frame.bridgeId, transport: frame.transport } satisfies Attachment);
      const sessions = await sessionsFor(this.env, frame.bridgeId, (clientRef) => this.socketFor(clientRef) === ws);
      this.send(ws, { t: 'welcome', sessions });
    } else if (frame.t === 'event') {
      // one client's events are recorded in the order the bridge sent them
      const previous = this.chains.get(frame.clientRef) ?? Promise.resolve();
      const run = previous.then(() => handleBridgeEvent(this.env, frame, (p) => this.ctx.waitUntil(p), this.watched(frame.clientRef)));
      const settled = run.catch(() => undefined);
      this.chains.set(frame.clientRef, settled);
      void settled.then(() => {
        if (this.chains.get(frame.clientRef) === settled) this.chains.delete(frame.clientRef);
      });
      await run; // a failure leaves the event unacknowledged: the bridge sends it again
      this.send(ws, { t: 'ack', ids: [frame.id] });
    } else {
      const waiting = this.pending.get(frame.id);
      if (!waiting) return;
      clearTimeout(waiting.timer);
      this.pending.delete(frame.id);
      waiting.resolve(
        frame.ok
          ? { ok: true, result: frame.result ?? null }
          : { ok: false, code: frame.code ?? 'BRIDGE_ERROR', message: frame.message ?? 'The bridge refused' },
      );
    }
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    try {
      ws.close(code === 1005 ? 1000 : code, 'closing');
    } catch {
      // already closed
    }
  }
}
