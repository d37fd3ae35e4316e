// One Durable Object per bridge (named `bridge:<id>`): its WebSocket link (hibernation API) and the
// record of the leases its clients' hubs granted it. The Worker checks the bridge's credential and tells
// this object which bridge the link is; its hello must name it. Requests go out as `req` frames carrying
// the lease epoch; events come in and are recorded only for clients this bridge holds (a late fact from a
// lease that ended still counts, a state claim does not). Its alarm writes the link's life to D1 every
// HEARTBEAT_MS and, once the link has been silent for LEASE_MS, gives every lease back to its hub, which
// grants it to a live bridge. After a hello, a bridge takes the clients nobody holds and its fair share.
import { DurableObject } from 'cloudflare:workers';
import {
  type BridgeFrame,
  BridgeFrameSchema,
  type EdgeFrame,
  type EventFrame,
  EventFrameSchema,
  HEARTBEAT_MS,
  HELD_RETRY_WINDOW_MS,
  MAX_EVENTS_PER_FRAME,
  type HeldSession,
  LEASE_MS,
  type Op,
  type RawBridgeResult,
} from '../../adapters/protocol.ts';
import type { TransportName } from '../../adapters/vocabulary.ts';
import type { Bindings } from '../env.ts';
import { getDb } from '../db/client.ts';
import { credentialIsLive } from '../services/bridge-credentials.ts';
import { hubFor } from '../services/bridge-commands.ts';
import { handleBridgeEvents, onlyAcks, recordAckRuns } from '../services/bridge-events.ts';
import { kickHeldOf } from '../services/sandbox-offline.ts';
import { fleet, heldSessions, leasesOf, linkClosed, linkDraining, linkSeen, unheldClients } from '../services/fleet.ts';
import type { BridgeLinkRpc, WatchState } from './contracts.ts';

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
/** Larger frames are refused (the link is closed with 1009). */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024;
/** Events that only claim the session's state: from a lease that ended they are refused, not recorded. */
/** how often a busy link's sign of life is written to storage */
const LIFE_WRITE_MS = 1000;
const STATE_KINDS = new Set(['status', 'qr', 'pairing_code', 'auth']);
/** Clock slack for a fact from a lease that ended: its time must fall within the lease, give or take this. */
const LATE_FACT_MS = 5_000;
/** Facts from an ended lease are taken only this long after it ended (as the edge measures it): the old holder sends them at once. */
const LATE_FACT_WINDOW_MS = 60_000;
/** Clients one hello moves to this bridge at most (the rest at its next hello, or as others come and go). */
const MAX_MOVES_PER_HELLO = 200;

const NOT_HOLDER = (clientRef: number): RawBridgeResult => ({
  ok: false,
  code: 'NOT_HOLDER',
  message: `This bridge does not hold client ${clientRef} under that lease`,
});

type Pending = { resolve: (r: RawBridgeResult) => void; timer: ReturnType<typeof setTimeout>; ws: WebSocket };
type Held = { epoch: number; watched: number; released_at: number | null };

export class BridgeLink extends DurableObject<Bindings> implements BridgeLinkRpc {
  private readonly pending = new Map<string, Pending>();
  private readonly sql: SqlStorage;
  private readonly chains = new Map<number, Promise<unknown>>();
  /** links between their hello and their welcome: requests wait for the welcome */
  private readonly welcomes = new Map<WebSocket, Promise<void>>();

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS held (client_ref INTEGER NOT NULL, epoch INTEGER NOT NULL, watched INTEGER NOT NULL DEFAULT 0,
      released_at INTEGER, granted_at INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (client_ref, epoch))`);
    this.sql.exec('CREATE INDEX IF NOT EXISTS held_now ON held (released_at, client_ref)');
    // whether someone watches a client's live socket, the latest reading its hub took (seq) — apart from `held`,
    // so a reading that lands before the grant it raced with is kept (held.watched: before this table)
    this.sql.exec('CREATE TABLE IF NOT EXISTS watching (client_ref INTEGER PRIMARY KEY, live INTEGER NOT NULL, seq INTEGER NOT NULL)');
    this.sql.exec('CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)');
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair('ping', 'pong'));
  }

  private meta(k: string): string | undefined {
    return this.sql.exec<{ v: string }>('SELECT v FROM meta WHERE k = ?', k).toArray()[0]?.v;
  }

  private setMeta(k: string, v: string) {
    this.sql.exec('INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)', k, v);
  }

  private get bridgeId(): string {
    return this.meta('bridgeId') ?? '';
  }

  private attachment(ws: WebSocket): Attachment | null {
    return ws.deserializeAttachment() as Attachment | null;
  }

  /** The open link that said hello. */
  private live(): { ws: WebSocket; att: Attachment } | undefined {
    for (const ws of this.ctx.getWebSockets()) {
      const att = this.attachment(ws);
      if (att?.transport && ws.readyState === 1) return { ws, att };
    }
    return undefined;
  }

  /** When the bridge last showed life: a frame, an auto-answered ping, a link opening. */
  private seenAt(): number {
    let seen = Math.max(this.life.seen, Number(this.meta('seenAt') ?? 0));
    for (const ws of this.ctx.getWebSockets()) {
      const att = this.attachment(ws);
      if (!att || ws.readyState !== 1) continue; // a closed link's last sign of life was kept at its close
      seen = Math.max(seen, att.acceptedAt, this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0);
    }
    return seen;
  }

  /** the latest sign of life seen since this object started, and the one last written to storage */
  private life = { seen: 0, stored: 0 };

  /**
   * Kept in memory; written to storage at most once a second (after a restart it is at most that much older),
   * and always when a link closes (`last`).
   */
  private sawLife(at = Date.now(), last = false) {
    if (at <= this.life.seen && !last) return;
    this.life.seen = Math.max(this.life.seen, at);
    if (!last && at - this.life.stored < LIFE_WRITE_MS) return;
    this.life.stored = this.life.seen;
    this.setMeta('seenAt', String(Math.max(this.life.seen, Number(this.meta('seenAt') ?? 0))));
  }

  /** `current` per client, read from storage once: every write to `held` clears it (all of them are in this class) */
  private readonly currents = new Map<number, Held | null>();

  private current(clientRef: number): Held | undefined {
    const known = this.currents.get(clientRef);
    if (known !== undefined) return known ?? undefined;
    const row = this.sql
      .exec<Held>('SELECT epoch, watched, released_at FROM held WHERE client_ref = ? AND released_at IS NULL ORDER BY epoch DESC LIMIT 1', clientRef)
      .toArray()[0];
    this.currents.set(clientRef, row ?? null);
    return row;
  }

  private heldNow(): Map<number, number> {
    return new Map(
      this.sql
        .exec<{ client_ref: number; epoch: number }>('SELECT client_ref, epoch FROM held WHERE released_at IS NULL')
        .toArray()
        .map((r) => [r.client_ref, r.epoch]),
    );
  }

  private ended(clientRef: number, epoch: number, at = Date.now()) {
    this.currents.delete(clientRef);
    this.sql.exec('UPDATE held SET released_at = ? WHERE client_ref = ? AND epoch = ? AND released_at IS NULL', at, clientRef, epoch);
  }

  private async ensureAlarm(at = Date.now() + HEARTBEAT_MS) {
    const set = await this.ctx.storage.getAlarm();
    if (set === null || set > at) await this.ctx.storage.setAlarm(at);
  }

  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return new Response('expected a WebSocket upgrade', { status: 426 });
    const bridgeId = request.headers.get('x-bridge-id');
    const tokenHash = request.headers.get('x-bridge-token-hash') ?? '';
    if (!bridgeId) return Response.json({ success: false, code: 'AUTH_ERROR', error: 'No bridge identity' }, { status: 401 });
    const mine = this.bridgeId;
    if (mine && mine !== bridgeId) return Response.json({ success: false, code: 'AUTH_ERROR', error: 'Wrong link for this bridge' }, { status: 403 });
    const now = Date.now();
    const open = this.ctx.getWebSockets().filter((ws) => this.attachment(ws) && ws.readyState === 1);
    if (open.length && now - this.seenAt() < LEASE_MS / 2) {
      return Response.json({ success: false, code: 'BRIDGE_ID_IN_USE', error: `Bridge ${bridgeId} already has a live link` }, { status: 409 });
    }
    for (const ws of open) this.drop(ws, 4000, 'replaced after silence');
    if (!mine) this.setMeta('bridgeId', bridgeId);
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    pair[1].serializeAttachment({ bridgeId, tokenHash, acceptedAt: now, transport: null } satisfies Attachment);
    await this.ensureAlarm();
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  private drop(ws: WebSocket, code: number, reason: string) {
    const att = this.attachment(ws);
    // its last sign of life is kept: the leases run out LEASE_MS from then, not from its hello
    if (att) this.sawLife(Math.max(att.acceptedAt, this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0), true);
    ws.serializeAttachment(null);
    try {
      ws.close(code, reason);
    } catch {
      // already closing
    }
  }

  private send(ws: WebSocket, frame: EdgeFrame) {
    ws.send(JSON.stringify(frame));
  }

  // ——— requests, under a lease ———

  async request(clientRef: number, epoch: number, op: Op, params: Record<string, unknown>, timeoutMs = REQUEST_TIMEOUT_MS): Promise<RawBridgeResult> {
    if (this.current(clientRef)?.epoch !== epoch) return NOT_HOLDER(clientRef);
    return this.ask(clientRef, epoch, op, params, timeoutMs);
  }

  private async ask(clientRef: number, epoch: number, op: Op, params: Record<string, unknown>, timeoutMs = REQUEST_TIMEOUT_MS): Promise<RawBridgeResult> {
    let link = this.live();
    // nothing goes to a link before its welcome (which replaces the bridge's leases): a grant sent earlier would be undone
    const welcome = link && this.welcomes.get(link.ws);
    if (welcome) {
      await welcome;
      link = this.live();
    }
    if (!link) return { ok: false, code: 'BRIDGE_UNAVAILABLE', message: 'The bridge holding this WhatsApp session is not connected' };
    const id = crypto.randomUUID();
    const result = new Promise<RawBridgeResult>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ ok: false, code: 'BRIDGE_TIMEOUT', message: `The bridge did not answer within ${timeoutMs} ms` });
      }, timeoutMs);
      this.pending.set(id, { resolve, timer, ws: link.ws });
    });
    try {
      this.send(link.ws, { t: 'req', id, clientRef, epoch, op, params });
    } catch {
      this.pending.get(id)?.resolve({ ok: false, code: 'BRIDGE_UNAVAILABLE', message: 'The bridge link is closed' });
    }
    return result;
  }

  async assign(session: HeldSession, watch: WatchState): Promise<RawBridgeResult> {
    const { clientRef, epoch } = session;
    const row = this.sql
      .exec<{ top: number | null; ended: number }>(
        'SELECT max(epoch) AS top, count(CASE WHEN epoch = ? AND released_at IS NOT NULL THEN 1 END) AS ended FROM held WHERE client_ref = ?',
        epoch,
        clientRef,
      )
      .one();
    // a grant older than one seen here, or one that already ended, is never taken (a late re-send)
    if ((row.top !== null && row.top > epoch) || row.ended > 0) return NOT_HOLDER(clientRef);
    const now = Date.now();
    this.currents.delete(clientRef);
    this.sql.exec('UPDATE held SET released_at = ? WHERE client_ref = ? AND epoch < ? AND released_at IS NULL', now, clientRef, epoch);
    this.sql.exec('INSERT INTO held (client_ref, epoch, granted_at) VALUES (?, ?, ?) ON CONFLICT (client_ref, epoch) DO NOTHING', clientRef, epoch, now);
    this.watch(clientRef, watch);
    await this.ensureAlarm();
    return this.ask(clientRef, epoch, 'assign', session);
  }

  async release(clientRef: number, epoch: number): Promise<boolean> {
    if (this.current(clientRef)?.epoch !== epoch) return true; // not held here: nothing to close
    const answer = await this.ask(clientRef, epoch, 'release', {});
    if (!answer.ok && answer.code !== 'NOT_HOLDER') return false;
    // the bridge sent what it had (its last auth writes) before answering: recorded before the lease ends
    await this.chains.get(clientRef);
    this.ended(clientRef, epoch);
    return true;
  }

  watch(clientRef: number, watch: WatchState): void {
    this.sql.exec(
      `INSERT INTO watching (client_ref, live, seq) VALUES (?, ?, ?)
       ON CONFLICT (client_ref) DO UPDATE SET live = excluded.live, seq = excluded.seq WHERE excluded.seq > watching.seq`,
      clientRef,
      watch.on ? 1 : 0,
      watch.seq,
    );
    this.watching.delete(clientRef);
  }

  linked(): boolean {
    return this.live() !== undefined;
  }

  async disconnect(): Promise<number> {
    const links = this.ctx.getWebSockets().filter((ws) => this.attachment(ws));
    for (const ws of links) this.drop(ws, 4401, 'credential revoked');
    if (links.length && this.bridgeId) {
      await linkClosed(this.env, this.bridgeId, Date.now());
      await this.ensureAlarm(this.seenAt() + LEASE_MS);
    }
    return links.length;
  }

  // ——— life and leases ———

  override async alarm(): Promise<void> {
    const bridgeId = this.bridgeId;
    if (!bridgeId) return;
    const now = Date.now();
    // the next one first: a failure below (D1 away) must not end the heartbeat for good
    if (this.live() || this.heldNow().size) await this.ensureAlarm();
    await this.leaseWork(async () => {
      let link = this.live();
      const seen = this.seenAt();
      if (link && now - seen >= LEASE_MS) {
        // open but silent (a half-open connection after a power cut): as good as gone
        this.drop(link.ws, 4408, 'silent for the lease time');
        await linkClosed(this.env, bridgeId, now);
        link = undefined;
      }
      if (link) await linkSeen(this.env, bridgeId, seen);
      else if (now - seen >= LEASE_MS) await this.expire(bridgeId);
      else await this.ensureAlarm(Math.min(now + HEARTBEAT_MS, seen + LEASE_MS));
    });
  }

  private leaseChain: Promise<unknown> = Promise.resolve();

  /** Expiry and hello one at a time: a hello never welcomes leases an expiry is handing to another bridge. */
  private leaseWork<T>(work: () => Promise<T>): Promise<T> {
    const run = this.leaseChain.then(work, work);
    this.leaseChain = run.catch(() => undefined);
    return run;
  }

  /** Silent for LEASE_MS: every lease goes back to its hub, which grants it to a live bridge. */
  private async expire(bridgeId: string) {
    const held = [...this.heldNow()];
    if (!held.length) return;
    console.error(`bridge ${bridgeId}: silent for ${LEASE_MS} ms; its ${held.length} client(s) go to other bridges`);
    await Promise.all(
      held.map(async ([clientRef, epoch]) => {
        try {
          await hubFor(this.env, clientRef).leaseLost(clientRef, bridgeId, epoch);
          this.ended(clientRef, epoch);
        } catch (err) {
          console.error(`bridge ${bridgeId}: handing client ${clientRef} over failed; tried again at the next alarm`, err);
        }
      }),
    );
  }

  // ——— frames from the bridge ———

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const att = this.attachment(ws);
    if (!att) return; // dropped
    this.sawLife();
    const size = typeof message === 'string' ? message.length : message.byteLength;
    if (size > MAX_FRAME_BYTES) {
      console.error(`bridge link ${att.bridgeId}: frame of ${size} bytes refused`);
      this.drop(ws, 1009, 'frame too large');
      return;
    }
    let raw: unknown;
    let frame: BridgeFrame;
    try {
      raw = JSON.parse(typeof message === 'string' ? message : new TextDecoder().decode(message));
      frame = BridgeFrameSchema.parse(raw);
    } catch {
      console.error(`bridge link ${att.bridgeId}: malformed frame`, String(message).slice(0, 200));
      // one bad event must not hold back the good ones it travels with: those are taken, the bad refused by id
      if (att.transport) return this.salvage(ws, att, raw);
      return;
    }
    if (frame.t === 'hello') return this.hello(ws, att, frame);
    if (!att.transport) {
      this.drop(ws, 4400, 'hello first');
      return;
    }
    if (frame.t === 'event') return this.event(ws, att, [frame]);
    if (frame.t === 'events') return this.event(ws, att, frame.events);
    if (frame.t === 'drain') return this.drain(ws, att);
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
    let welcomed = () => {};
    this.welcomes.set(
      ws,
      new Promise<void>((resolve) => {
        welcomed = resolve;
      }),
    );
    try {
      await this.greet(ws, att, { transport: frame.transport, version: frame.version ?? null });
    } finally {
      this.welcomes.delete(ws);
      welcomed();
    }
  }

  /** After a hello: the credential checked again, the link recorded, the welcome with the leases it holds. */
  private async greet(ws: WebSocket, att: Attachment, hello: { transport: TransportName; version: string | null }) {
    // revoked or re-issued since the Worker checked it: revocation updates D1 before it closes links,
    // so this check or that close catches every link
    if (!(await credentialIsLive(getDb(this.env.DB), att.bridgeId, att.tokenHash))) {
      this.drop(ws, 4401, 'credential revoked');
      return;
    }
    await linkSeen(this.env, att.bridgeId, Date.now(), hello);
    const { held, untold } = await this.leaseWork(() => this.confirmHeld(att.bridgeId));
    if (ws.readyState !== 1) return;
    this.send(ws, { t: 'welcome', sessions: await heldSessions(this.env, held) });
    // their hubs tell this bridge again, now that the welcome (which replaces its leases) has gone
    for (const clientRef of untold)
      this.ctx.waitUntil(
        hubFor(this.env, clientRef)
          .reassert(clientRef)
          .catch(() => false),
      );
    // messages the sandbox network held for its numbers while the link was down go now
    this.ctx.waitUntil(kickHeldOf(this.env, [...held.keys()], (p) => this.ctx.waitUntil(p)).catch(() => undefined));
    this.ctx.waitUntil(this.takeShare(att.bridgeId).catch((err: unknown) => console.error(`bridge ${att.bridgeId}: taking its share failed`, err)));
  }

  /**
   * The leases this link still holds, checked against the hubs' mirror; where they disagree (a call that
   * failed half-way) the client's hub, the authority, decides. Ended rows (and watch readings of clients not
   * held) older than a day are pruned.
   */
  private async confirmHeld(bridgeId: string): Promise<{ held: Map<number, number>; untold: number[] }> {
    this.sql.exec('DELETE FROM held WHERE released_at IS NOT NULL AND released_at < ?', Date.now() - 86_400_000);
    // a reading a day old for a client this link no longer holds (a newer one always comes with the next grant)
    this.sql.exec(
      'DELETE FROM watching WHERE seq < ? AND client_ref NOT IN (SELECT client_ref FROM held WHERE released_at IS NULL)',
      (Date.now() - 86_400_000) * 1000,
    );
    this.watching.clear();
    const mirror = await leasesOf(this.env, bridgeId);
    const here = this.heldNow();
    for (const [clientRef, epoch] of here) {
      if (mirror.get(clientRef) === epoch) continue;
      const lease = await hubFor(this.env, clientRef)
        .lease()
        .catch(() => null);
      if (lease?.bridgeId !== bridgeId || lease.epoch !== epoch) this.ended(clientRef, epoch);
    }
    // granted to this bridge but never told here (the telling failed): told again after the welcome
    return { held: this.heldNow(), untold: [...mirror.keys()].filter((clientRef) => !here.has(clientRef)) };
  }

  /** Clients nobody holds are granted (to the least loaded bridge); then this bridge takes its fair share. */
  private async takeShare(bridgeId: string) {
    for (let after = 0; this.live(); ) {
      const page = await unheldClients(this.env, after);
      if (!page.length) break;
      for (const clientRef of page) await hubFor(this.env, clientRef).ensureHeld(clientRef);
      after = page.at(-1)!;
    }
    const open = (await fleet(this.env)).filter((b) => b.live && !b.draining);
    const me = open.find((b) => b.bridgeId === bridgeId);
    if (!me) return;
    const fair = Math.floor(open.reduce((n, b) => n + b.clientRefs.length, 0) / open.length);
    let mine = me.clientRefs.length;
    const donors = open.filter((b) => b !== me).map((b) => ({ bridgeId: b.bridgeId, refs: [...b.clientRefs] }));
    // moves stop as soon as this link is gone (a bridge in a crash loop does not strand numbers)
    for (let moves = 0; mine < fair && moves < MAX_MOVES_PER_HELLO && this.live(); moves++) {
      donors.sort((a, b) => b.refs.length - a.refs.length);
      const donor = donors[0];
      // a donor gives only while it holds at least two more than this bridge (no ping-pong between equals)
      if (!donor || donor.refs.length <= fair || donor.refs.length < mine + 2) break;
      const clientRef = donor.refs.pop()!;
      if ((await hubFor(this.env, clientRef).move(clientRef, bridgeId)) === 'moved') mine++;
    }
  }

  /** SIGTERM: every client goes to another bridge (or is released, with none), then the bridge hears `drained`. */
  private async drain(ws: WebSocket, att: Attachment) {
    await linkDraining(this.env, att.bridgeId, Date.now());
    let moved = 0;
    let released = 0;
    const held = [...this.heldNow().keys()];
    for (let i = 0; i < held.length; i += 10) {
      const outcomes = await Promise.all(held.slice(i, i + 10).map((clientRef) => hubFor(this.env, clientRef).move(clientRef)));
      moved += outcomes.filter((o) => o === 'moved').length;
      released += outcomes.filter((o) => o === 'released').length;
    }
    console.log(`bridge ${att.bridgeId} drained: ${moved} client(s) moved, ${released} released`);
    if (ws.readyState === 1) this.send(ws, { t: 'drained', moved, released });
  }

  /**
   * One event or a frame of them, each checked against the lease it names: the current lease of this
   * bridge, or one it held until moments ago for a fact (a message) that happened before it ended.
   * Refused events are never recorded and the bridge drops them; the rest are recorded in order per client and acked.
   */
  private async event(ws: WebSocket, att: Attachment, frames: EventFrame[]) {
    const mine: EventFrame[] = [];
    const refused: EventFrame[] = [];
    for (const f of frames) (this.holds(f) ? mine : refused).push(f);
    if (refused.length) {
      console.error(`bridge link ${att.bridgeId}: ${refused.length} event(s) for clients it does not hold (or no longer); refused`);
      this.send(ws, { t: 'reject', ids: refused.map((f) => f.id), reason: 'NOT_HOLDER' });
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
    // acks held for a send whose record is being written right now: offered again in a second, not at the 30 s re-send
    const recorded = new Set(ids);
    const young = Date.now() - HELD_RETRY_WINDOW_MS;
    const later = mine.filter((f) => f.event.kind === 'ack' && !recorded.has(f.id) && f.at > young).map((f) => f.id);
    if (ids.length || later.length) this.send(ws, { t: 'ack', ids, ...(later.length ? { later } : {}) });
  }

  private holds(f: EventFrame): boolean {
    if (this.current(f.clientRef)?.epoch === f.epoch) return true; // the running lease (the usual case: no query)
    const row = this.sql
      .exec<Held & { granted_at: number }>('SELECT epoch, watched, released_at, granted_at FROM held WHERE client_ref = ? AND epoch = ?', f.clientRef, f.epoch)
      .toArray()[0];
    if (!row) return false;
    if (row.released_at === null) return true;
    // a fact from an ended lease: it happened while the lease ran, and arrives soon after it ended
    return (
      !STATE_KINDS.has(f.event.kind) &&
      Date.now() - row.released_at <= LATE_FACT_WINDOW_MS &&
      f.at >= row.granted_at - LATE_FACT_MS &&
      f.at <= row.released_at + LATE_FACT_MS
    );
  }

  /** `watching` per client, read from storage once: `watch` clears it */
  private readonly watching = new Map<number, boolean>();

  private watched(clientRef: number): boolean {
    let on = this.watching.get(clientRef);
    if (on === undefined) {
      const row = this.sql.exec<{ live: number }>('SELECT live FROM watching WHERE client_ref = ?', clientRef).toArray()[0];
      on = row ? row.live === 1 : (this.current(clientRef)?.watched ?? 0) === 1;
      this.watching.set(clientRef, on);
    }
    return on;
  }

  /** A frame that failed the schema: its valid events are recorded, its invalid ones (with an id) refused. */
  private async salvage(ws: WebSocket, att: Attachment, raw: unknown) {
    const items = (raw as { t?: unknown; events?: unknown })?.t === 'events' ? (raw as { events: unknown }).events : [raw];
    if (!Array.isArray(items)) return;
    const good: EventFrame[] = [];
    const bad: string[] = [];
    for (const item of items.slice(0, MAX_EVENTS_PER_FRAME)) {
      const parsed = EventFrameSchema.safeParse(item);
      if (parsed.success) good.push(parsed.data);
      else if (typeof (item as { id?: unknown })?.id === 'string') bad.push(String((item as { id: string }).id).slice(0, 64));
    }
    if (bad.length) this.send(ws, { t: 'reject', ids: bad, reason: 'MALFORMED' });
    if (good.length) await this.event(ws, att, good);
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
    return this.inOrder([clientRef], () =>
      handleBridgeEvents(
        this.env,
        run,
        (p) => this.ctx.waitUntil(p),
        () => this.watched(clientRef),
      ),
    ).then(
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
    const att = this.attachment(ws);
    try {
      ws.close(code === 1005 ? 1000 : code, 'closing');
    } catch {
      // already closed
    }
    if (att?.transport && !this.live()) {
      this.sawLife(Math.max(att.acceptedAt, this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0), true);
      await linkClosed(this.env, att.bridgeId, Date.now());
      await this.ensureAlarm(this.seenAt() + LEASE_MS);
    }
  }
}
