// One Durable Object per WhatsApp client: routes its commands to the bridge holding it, keeps its live
// state (status, connected number, the current QR code), its live sockets and its scheduled-send alarm.
import { DurableObject } from 'cloudflare:workers';
import { type LiveFrame, type LiveState, type PendingLive, sentFrame } from '../../adapters/live.ts';
import { checkResult, type Op, type RawBridgeResult } from '../../adapters/protocol.ts';
import type { Bindings } from '../env.ts';
import { dispatchDue, type Gate } from '../scheduler/dispatch.ts';
import { defaultPolicy, freshState, type GovernorState } from '../services/governor.ts';
import { linkFor } from '../services/bridge-commands.ts';
import type { ClientHubRpc } from './contracts.ts';

const EMPTY: LiveState = { status: null, connectedNumber: null, qrPng: null, updatedAt: null };

export class ClientHub extends DurableObject<Bindings> implements ClientHubRpc {
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
      next = await dispatchDue(this.env, clientRef, (p) => this.ctx.waitUntil(p), undefined, await this.gate());
    } finally {
      this.dispatching = false;
    }
    if (this.wantedDuring !== null) next = Math.min(next ?? Infinity, this.wantedDuring);
    if (next !== null) await this.ctx.storage.setAlarm(Math.max(next, Date.now()));
  }

  /** The number's governor: the policy for its transport (GOVERNOR overrides), its state in this object's storage. */
  private async gate(): Promise<Gate> {
    const transport = this.env.WA_TRANSPORT === 'baileys' ? 'baileys' : 'sandbox';
    const stored = await this.ctx.storage.get<GovernorState>('governor');
    const state = stored ?? freshState((await this.ctx.storage.get<number>('pairedAt')) ?? null);
    return { policy: defaultPolicy(transport, this.env.GOVERNOR), state, save: (s) => this.ctx.storage.put('governor', s) };
  }

  async request(clientRef: number, op: Op, params: Record<string, unknown>, sent?: PendingLive[]): Promise<RawBridgeResult> {
    const raw = await linkFor(this.env).request(clientRef, op, params);
    // what leaves is pushed to live sockets here, where they are, without another round trip
    if (sent?.length && this.ctx.getWebSockets().length) this.pushSent(op, raw, sent);
    if (op === 'start') {
      const started = checkResult('start', raw);
      if (started.ok) {
        const { status, connectedNumber, qr } = started.result;
        await this.apply({ status, connectedNumber, ...(qr ? { qrPng: qr.png } : {}) });
      }
    }
    return raw;
  }

  private pushSent(op: Op, raw: RawBridgeResult, sent: PendingLive[]) {
    if (op === 'send') {
      const one = checkResult('send', raw);
      if (one.ok && sent[0]) this.broadcast(sentFrame(sent[0], one.result));
    } else if (op === 'sendBatch') {
      const batch = checkResult('sendBatch', raw);
      if (!batch.ok) return;
      batch.result.forEach((outcome, i) => {
        const pending = sent[i];
        if (outcome.ok && pending) this.broadcast(sentFrame(pending, outcome));
      });
    }
  }

  async apply(update: Partial<LiveState>): Promise<LiveState> {
    const next: LiveState = { ...(await this.state()), ...update, updatedAt: Date.now() };
    // the governor's warm-up counts from the first time the number is seen connected
    if (next.status === 'connected' && !(await this.ctx.storage.get<number>('pairedAt'))) await this.ctx.storage.put('pairedAt', Date.now());
    if (next.status && next.status !== 'pending_auth') next.qrPng = null;
    await this.ctx.storage.put('state', next);
    return next;
  }

  async state(): Promise<LiveState> {
    return (await this.ctx.storage.get<LiveState>('state')) ?? EMPTY;
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
    if (this.ctx.getWebSockets().length === 1) await linkFor(this.env).watch(clientRef, true);
    const hello: LiveFrame = { type: 'hello', state: await this.state() };
    pair[1].send(JSON.stringify(hello));
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  /** Pushes a frame to every open live socket of this client. */
  broadcast(frame: LiveFrame): number {
    const sockets = this.ctx.getWebSockets();
    const text = JSON.stringify(frame);
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
    if (clientRef && others.length === 0) await linkFor(this.env).watch(clientRef, false);
  }
}
