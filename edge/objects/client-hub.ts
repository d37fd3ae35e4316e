// One Durable Object per WhatsApp client: routes its commands to the bridge holding it and keeps its
// live state (status, connected number, the current QR code).
import { DurableObject } from 'cloudflare:workers';
import type { Op, SessionStatus } from '../../adapters/protocol.ts';
import type { Bindings } from '../env.ts';
import type { BridgeResult } from './bridge-link.ts';
import { dispatchDue } from '../scheduler/dispatch.ts';

export interface LiveState {
  status: SessionStatus | null;
  connectedNumber: string | null;
  /** base64 PNG while pairing */
  qrPng: string | null;
  updatedAt: number | null;
}

export class ClientHub extends DurableObject<Bindings> {
  private dispatching = false;
  private wantedDuring: number | null = null;

  /** A scheduled message is due at `at`: the alarm fires then, to the second. */
  async schedule(clientRef: number, at: number): Promise<void> {
    await this.ctx.storage.put('clientRef', clientRef);
    if (this.dispatching) {
      this.wantedDuring = Math.min(this.wantedDuring ?? Infinity, at);
      return;
    }
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at || current < Date.now()) await this.ctx.storage.setAlarm(Math.max(at, Date.now()));
  }

  override async alarm(): Promise<void> {
    const clientRef = await this.ctx.storage.get<number>('clientRef');
    if (!clientRef) return;
    this.dispatching = true;
    this.wantedDuring = null;
    let next: number | null;
    try {
      next = await dispatchDue(this.env, clientRef, (p) => this.ctx.waitUntil(p));
    } finally {
      this.dispatching = false;
    }
    if (this.wantedDuring !== null) next = Math.min(next ?? Infinity, this.wantedDuring);
    if (next !== null) await this.ctx.storage.setAlarm(Math.max(next, Date.now()));
  }

  async request(clientRef: number, op: Op, params: Record<string, unknown> = {}, onSent?: Record<string, unknown>): Promise<BridgeResult> {
    const result = (await this.env.BRIDGE_LINK.getByName('main').request(clientRef, op, params)) as unknown as BridgeResult;
    // a send is pushed to live sockets here, where they are, without another round trip
    if (result.ok && op === 'sendBatch' && Array.isArray(result.result) && this.ctx.getWebSockets().length) {
      const items = (params.items ?? []) as { to: string; text?: string }[];
      (result.result as { ok: boolean; messageId?: string; timestamp?: number }[]).forEach((r, i) => {
        const item = items[i];
        if (!r.ok || !item) return;
        const chatId = item.to.includes('@') ? item.to : `${item.to}@c.us`;
        this.broadcast({ type: 'message', chatId, message: { id: { _serialized: r.messageId }, body: item.text ?? '', fromMe: true, timestamp: Math.floor((r.timestamp ?? 0) / 1000), type: 'chat', hasMedia: false } });
      });
    }
    if (result.ok && op === 'send' && onSent && this.ctx.getWebSockets().length) {
      const sent = result.result as { messageId: string; timestamp: number };
      const message = { ...(onSent.message as Record<string, unknown>), id: { _serialized: sent.messageId }, timestamp: Math.floor(sent.timestamp / 1000) };
      this.broadcast({ ...onSent, message });
    }
    if (result.ok && op === 'start') {
      const r = result.result as { status?: SessionStatus; connectedNumber?: string | null; qr?: { png: string } };
      if (r.status) await this.apply({ status: r.status, connectedNumber: r.connectedNumber ?? null, ...(r.qr ? { qrPng: r.qr.png } : {}) });
    }
    return result;
  }

  async apply(update: Partial<LiveState>): Promise<LiveState> {
    const current = await this.state();
    const next: LiveState = { ...current, ...update, updatedAt: Date.now() };
    if (next.status && next.status !== 'pending_auth') next.qrPng = null;
    await this.ctx.storage.put('state', next);
    return next;
  }

  async state(): Promise<LiveState> {
    return (await this.ctx.storage.get<LiveState>('state')) ?? { status: null, connectedNumber: null, qrPng: null, updatedAt: null };
  }

  async forget(): Promise<void> {
    for (const ws of this.ctx.getWebSockets()) ws.close(1000, 'client deleted');
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  /** A live-updates subscriber (the request was authenticated by the Worker). Hibernates between messages. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return new Response('expected a WebSocket upgrade', { status: 426 });
    const clientRef = Number(request.headers.get('x-client-ref'));
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    pair[1].serializeAttachment({ clientRef });
    // the bridge link pushes this client's events here only while someone watches
    if (this.ctx.getWebSockets().length === 1) await this.env.BRIDGE_LINK.getByName('main').watch(clientRef, true);
    pair[1].send(JSON.stringify({ type: 'hello', state: await this.state() }));
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  /** Pushes an update to every open live socket of this client. */
  broadcast(update: Record<string, unknown>): number {
    const sockets = this.ctx.getWebSockets();
    const text = JSON.stringify(update);
    for (const ws of sockets) {
      try {
        ws.send(text);
      } catch {
        // closing: it will be gone from getWebSockets soon
      }
    }
    return sockets.length;
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (message === 'ping') ws.send('pong');
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    try {
      ws.close(code === 1005 ? 1000 : code, 'bye');
    } catch {
      // already closed
    }
    const clientRef = (ws.deserializeAttachment() as { clientRef?: number } | null)?.clientRef;
    const others = this.ctx.getWebSockets().filter((s) => s !== ws && s.readyState === 1);
    if (clientRef && others.length === 0) await this.env.BRIDGE_LINK.getByName('main').watch(clientRef, false);
  }
}
