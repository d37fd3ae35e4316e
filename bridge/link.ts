// The bridge's WebSocket to the edge: token-authenticated, heartbeats, reconnect with capped backoff.
// Events are flushed from the durable event queue on every (re)connect and deleted only when acknowledged.
import WebSocket from 'ws';
import {
  type BridgeFrame,
  type EdgeFrame,
  EdgeFrameSchema,
  type EventFrame,
  FENCE_MS,
  HEARTBEAT_MS,
  HELD_RETRY_MS,
  MAX_EVENTS_PER_FRAME,
  type RequestFrame,
} from '../adapters/protocol.ts';
import type { TransportName } from '../adapters/vocabulary.ts';
import type { EventQueue } from './event-queue.ts';

export interface LinkOptions {
  url: string;
  token: string;
  bridgeId: string;
  transport: TransportName;
  events: EventQueue;
  sessions: () => number;
  /** told the edge in the hello (GET /api/admin/bridges shows it) */
  version?: string;
  onWelcome: (frame: Extract<EdgeFrame, { t: 'welcome' }>) => void;
  onRequest: (frame: RequestFrame) => Promise<unknown>;
  /** no word from the edge for `fenceMs` (FENCE_MS): the edge may give this bridge's numbers to another, so stop them */
  onFence?: () => Promise<void> | void;
  fenceMs?: number;
  heartbeatMs?: number;
  /** how long events gather before one frame carries them (default GATHER_MS) */
  gatherMs?: number;
  maxBackoffMs?: number;
  log?: (msg: string) => void;
}

const RESEND_AFTER_MS = 30_000;
/** What one frame of events may weigh (a single larger event goes alone). */
export const FRAME_BUDGET_BYTES = 1024 * 1024;
/** How long events gather before they go as one frame. */
export const GATHER_MS = 25;

export const backoffDelay = (attempt: number, maxMs: number, random = Math.random) =>
  Math.round(Math.min(maxMs, 500 * 2 ** Math.min(attempt, 16)) * (0.5 + random() * 0.5));

export class Link {
  private readonly opts: LinkOptions;
  private ws: WebSocket | undefined;
  private attempt = 0;
  private stopped = false;
  private heartbeat: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private alive = false;
  connected = false;
  /** when the edge last said anything (a frame, a pong) */
  private heardAt = 0;
  private fenced = true;
  private fenceTimer: NodeJS.Timeout | undefined;
  private drained: ((d: { moved: number; released: number }) => void) | undefined;

  constructor(opts: LinkOptions) {
    this.opts = opts;
    opts.events.onAdded((frame) => this.sendEvent(frame));
  }

  start(): void {
    this.stopped = false;
    this.connect();
    const fenceMs = this.opts.fenceMs ?? FENCE_MS;
    this.fenceTimer = setInterval(() => this.checkFence(fenceMs), Math.min(1000, fenceMs / 4));
  }

  private heard(): void {
    this.heardAt = Date.now();
    this.fenced = false;
  }

  /** Fenced once per silence: the sessions stop before the edge's lease on them can run out. */
  private checkFence(fenceMs: number): void {
    if (this.fenced || Date.now() - this.heardAt < fenceMs) return;
    this.fenced = true;
    this.log(`no word from the edge for ${fenceMs} ms: fencing (its sessions stop)`);
    void Promise.resolve(this.opts.onFence?.()).catch((err: Error) => this.log(`fencing failed: ${err.message}`));
    this.ws?.terminate();
  }

  /**
   * SIGTERM: asks the edge to hand this bridge's numbers to others; answers what it did, or null when it
   * did not say so within `ms` (then the bridge stops anyway, and its leases run out as after a crash).
   */
  async drain(ms: number): Promise<{ moved: number; released: number } | null> {
    if (!this.connected) return null;
    const done = new Promise<{ moved: number; released: number }>((resolve) => {
      this.drained = resolve;
    });
    this.send({ t: 'drain' });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), ms);
    });
    return Promise.race([done, late]).finally(() => clearTimeout(timer));
  }

  private log(msg: string) {
    (this.opts.log ?? console.log)(`[bridge link] ${msg}`);
  }

  private connect(): void {
    // no permessage-deflate: frames are small JSON, and compressing them costs the Worker CPU on every event
    const ws = new WebSocket(this.opts.url, { headers: { authorization: `Bearer ${this.opts.token}` }, handshakeTimeout: 10_000, perMessageDeflate: false });
    this.ws = ws;
    ws.on('open', () => {
      this.attempt = 0;
      this.connected = true;
      this.alive = true;
      this.heard();
      this.log(`connected to ${this.opts.url}`);
      this.send({
        t: 'hello',
        bridgeId: this.opts.bridgeId,
        transport: this.opts.transport,
        sessions: this.opts.sessions(),
        ...(this.opts.version ? { version: this.opts.version } : {}),
      });
      this.sendEvents(this.opts.events.pending());
      this.heartbeat = setInterval(() => {
        if (!this.alive) {
          this.log('no pong in time; reconnecting');
          ws.terminate();
          return;
        }
        this.alive = false;
        ws.ping();
        // a text ping too: the edge answers it without waking, and counts it as a sign of life
        ws.send('ping');
        // an event the edge failed to record stays unacknowledged: offer it again (the edge drops repeats)
        this.sendEvents(this.opts.events.stale(RESEND_AFTER_MS));
      }, this.opts.heartbeatMs ?? HEARTBEAT_MS);
    });
    ws.on('pong', () => {
      this.alive = true;
      this.heard();
    });
    ws.on('message', (data) => {
      this.alive = true;
      this.heard();
      if (data.toString() === 'pong') return; // the edge's answer to our text ping
      let frame: EdgeFrame;
      try {
        frame = EdgeFrameSchema.parse(JSON.parse(data.toString()));
      } catch {
        this.log('ignored a malformed frame from the edge');
        return;
      }
      this.handle(frame);
    });
    ws.on('close', () => this.closed());
    ws.on('error', (err) => this.log(`socket error: ${err.message}`));
  }

  private handle(frame: EdgeFrame): void {
    if (frame.t === 'ack') {
      this.opts.events.ack(frame.ids);
      // held for a send whose record was being written: offered again shortly (still unacknowledged, on this link)
      const later = frame.later ?? [];
      if (later.length)
        setTimeout(() => {
          if (this.connected) this.sendEvents(this.opts.events.byIds(later));
        }, HELD_RETRY_MS).unref();
    } else if (frame.t === 'reject') {
      // the edge will never take these (not a client this bridge holds): keeping them would only resend them forever
      this.log(`the edge refused ${frame.ids.length} event(s): ${frame.reason}; dropped`);
      this.opts.events.ack(frame.ids);
    } else if (frame.t === 'welcome') this.opts.onWelcome(frame);
    else if (frame.t === 'drained') this.drained?.(frame);
    else {
      this.opts
        .onRequest(frame)
        .then((result) => this.answer({ t: 'res', id: frame.id, ok: true, result: result ?? null }))
        .catch((err: Error & { code?: string }) => this.answer({ t: 'res', id: frame.id, ok: false, code: err.code ?? 'BRIDGE_ERROR', message: err.message }));
    }
  }

  private closed(): void {
    this.connected = false;
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt++, this.opts.maxBackoffMs ?? 30_000);
    this.log(`disconnected; reconnecting in ${delay} ms`);
    this.retry = setTimeout(() => this.connect(), delay);
  }

  private send(frame: BridgeFrame): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  /**
   * Events gather for GATHER_MS (or until a frame is full) and go as one `events` frame: the edge records
   * a burst — the two acks after every send — in one D1 batch. Each stays in the queue until acked.
   */
  private readonly gathered: EventFrame[] = [];
  private gatherTimer: NodeJS.Timeout | undefined;

  private sendEvent(frame: EventFrame): void {
    this.gathered.push(frame);
    if (this.gathered.length >= MAX_EVENTS_PER_FRAME) this.flushEvents();
    else this.gatherTimer ??= setTimeout(() => this.flushEvents(), this.opts.gatherMs ?? GATHER_MS);
  }

  private flushEvents(): void {
    if (this.gatherTimer) clearTimeout(this.gatherTimer);
    this.gatherTimer = undefined;
    this.sendEvents(this.gathered.splice(0));
  }

  /** An answer goes after the events gathered so far (a release's last auth writes reach the edge before it). */
  private answer(frame: Extract<BridgeFrame, { t: 'res' }>): void {
    this.flushEvents();
    this.send(frame);
  }

  /** Frames of at most MAX_EVENTS_PER_FRAME events and FRAME_BUDGET_BYTES (the edge refuses a frame over 8 MiB). */
  private sendEvents(frames: EventFrame[]): void {
    let chunk: EventFrame[] = [];
    let bytes = 0;
    const flush = () => {
      if (chunk.length === 1) this.send(chunk[0]!);
      else if (chunk.length) this.send({ t: 'events', events: chunk });
      chunk = [];
      bytes = 0;
    };
    for (const f of frames) {
      const size = JSON.stringify(f).length;
      if (chunk.length && (chunk.length >= MAX_EVENTS_PER_FRAME || bytes + size > FRAME_BUDGET_BYTES)) flush();
      chunk.push(f);
      bytes += size;
    }
    flush();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.fenceTimer) clearInterval(this.fenceTimer);
    if (this.gatherTimer) clearTimeout(this.gatherTimer);
    if (this.retry) clearTimeout(this.retry);
    if (this.heartbeat) clearInterval(this.heartbeat);
    const ws = this.ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((r) => {
        ws.once('close', () => r());
        ws.close();
        setTimeout(r, 1000);
      });
    }
  }
}
