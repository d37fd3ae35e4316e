// What each Durable Object offers over RPC. Services and routes reach objects only through these
// (via the bindings in env.ts), never by importing an object's class, so imports go one way:
// entry points (routes, objects) → services → db/lib, with no cycle through the bindings' types.
import type { LiveFrame, LiveState } from '../../adapters/live.ts';
import type { AuthEntry, GroupInfo, HeldSession, Op, RawBridgeResult } from '../../adapters/protocol.ts';
import type { GovernorPolicy } from '../services/governor.ts';
import type { NewQueued, QueueCounts, QueuedRow } from '../services/queue-store.ts';

export interface LimitResult {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** ms until the window has room again (0 when it has room now) */
  retryAfterMs: number;
  /** ms until the whole window is clear */
  resetMs: number;
  /** hits counted by this call (a `hit` asking for more than one may get fewer) */
  granted?: number;
}

/** One per (rule, caller address): an exact sliding-window log. */
export interface RateLimiterRpc extends Rpc.DurableObjectBranded {
  hit(limit: number, windowMs: number, want?: number): LimitResult;
  refund(n?: number): void;
  peek(limit: number, windowMs: number): LimitResult;
}

/** One per Android device: wakes its long-poll when work is queued for it. */
export interface DeviceHubRpc extends Rpc.DurableObjectBranded {
  /** true when woken by new work (or work came since `since`), false after `ms` */
  wait(ms: number, since: number): Promise<boolean>;
  notify(): void;
}

/** One per webhook endpoint: its alarm sends the endpoint's due deliveries. */
export interface WebhookSenderRpc extends Rpc.DurableObjectBranded {
  wake(endpoint: string, at?: number): Promise<void>;
}

/** One per account (named `rules:<userId>`): its alarm matches the account's new events and runs its rules' actions. */
export interface RuleRunnerRpc extends Rpc.DurableObjectBranded {
  wake(userId: number, at?: number): Promise<void>;
}

/** One per bridge (named `bridge:<id>`): its WebSocket link, requests out, events in, and the leases it holds. */
export interface BridgeLinkRpc extends Rpc.DurableObjectBranded {
  /** asks the bridge, under the lease `epoch` (refused with NOT_HOLDER when the link holds the client at another) */
  request(clientRef: number, epoch: number, op: Op, params: Record<string, unknown>, timeoutMs?: number): Promise<RawBridgeResult>;
  /** a lease granted to this bridge: recorded, then the bridge is told (with the session's auth state) */
  assign(session: HeldSession, watch: WatchState): Promise<RawBridgeResult>;
  /** the lease ends: true once the bridge confirmed it closed the session (false: it could not be asked) */
  release(clientRef: number, epoch: number): Promise<boolean>;
  /** whether someone watches the client's live socket: of several readings, the latest taken (`seq`) wins */
  watch(clientRef: number, watch: WatchState): void;
  /** whether the bridge's link is open now (it said hello) */
  linked(): boolean;
  /** closes the link of a bridge whose credential was revoked or re-issued */
  disconnect(): Promise<number>;
}

/**
 * Whether someone watches a client's live socket (its link pushes live frames only then), as its hub read it.
 * `seq` grows with every reading the hub takes, so readings that reach the link out of order (a grant's and a
 * socket's) still leave the latest in force.
 */
export interface WatchState {
  on: boolean;
  seq: number;
}

/** A lease change as the hub answers it. */
export type LeaseMove = 'moved' | 'released' | 'kept' | 'none' | 'failed';

/** Where a send stands when enqueue answers (with a wait: its outcome, if it came first). */
export interface EnqueueResult {
  id: string;
  /** refused: not queued at all (the queue is full) */
  status: 'queued' | 'sending' | 'sent' | 'failed' | 'cancelled' | 'refused';
  /** WhatsApp's id, once sent */
  messageId?: string;
  timestamp?: number;
  code?: string;
  error?: string;
}

/** settling: its outcome is known and only its record in D1 waits (it left already) */
export type CancelResult = 'cancelled' | 'sending' | 'settling' | 'missing';

export interface QueueView {
  counts: QueueCounts;
  pausedUntil: number | null;
  pauseReason: string | null;
  /** the governor holds the next send until then (interval or the day's new-contact cap) */
  heldUntil: number | null;
  heldBy: string | null;
  policy: GovernorPolicy;
  override: Partial<GovernorPolicy> | null;
}

/** One per WhatsApp client: its send queue and governor, commands, live state, live sockets and alarm. */
export interface ClientHubRpc extends Rpc.DurableObjectBranded {
  request(clientRef: number, op: Op, params: Record<string, unknown>): Promise<RawBridgeResult>;
  /** durable when it answers; `waitMs`: answer with the outcome if it comes first */
  enqueue(clientRef: number, items: NewQueued[], waitMs?: number): Promise<EnqueueResult[]>;
  lookup(id: string): Promise<QueuedRow | null>;
  /** `forFallback`: cancelled so its SMS fallback goes instead (recorded with FALLBACK_CANCEL, not CANCELLED) */
  cancel(id: string, forFallback?: boolean): Promise<CancelResult>;
  /** Of these WhatsApp ids, those whose sends this number's queue keeps with an outcome not yet in D1 */
  unrecorded(whatsappIds: string[]): Promise<string[]>;
  queueView(): Promise<QueueView>;
  setPolicy(override: Partial<GovernorPolicy> | null): Promise<GovernorPolicy>;
  /** WhatsApp refused a sent message after the fact (463 nack): the number pauses */
  refusedAfterSend(clientRef: number, reason: string): Promise<void>;
  apply(update: Partial<LiveState>): Promise<LiveState>;
  state(): Promise<LiveState>;
  /** the client is deleted: its lease ends (the bridge lets the session go), then everything here goes */
  forget(clientRef?: number): Promise<void>;
  broadcast(frame: LiveFrame): number;
  /** a lease for the client (granted now to the least loaded live bridge if none is held); null: no bridge */
  ensureHeld(clientRef: number): Promise<{ bridgeId: string; epoch: number } | null>;
  /** tells the holder of the lease again (a grant whose telling failed half-way) */
  reassert(clientRef: number): Promise<boolean>;
  /** the lease held now, if any (nothing is granted) */
  lease(): Promise<{ bridgeId: string; epoch: number } | null>;
  /** moves the lease to `to`, or to any other live bridge */
  move(clientRef: number, to?: string): Promise<LeaseMove>;
  /** the holder's link was silent for LEASE_MS: the lease ends and goes to a live bridge */
  leaseLost(clientRef: number, bridgeId: string, epoch: number): Promise<void>;
  /** auth state written by the holder at `epoch` (false: not the current holder; nothing kept) */
  storeAuth(epoch: number, entries: AuthEntry[]): Promise<boolean>;
  schedule(clientRef: number, at: number): Promise<void>;
  /** the number's groups as the bridge last listed them (null: never listed): group sends queue on them in an outage */
  knownGroups(): Promise<GroupInfo[] | null>;
  rememberGroups(groups: GroupInfo[]): Promise<void>;
  /** a send with an SMS fallback was queued: decide it by `at` */
  expectFallback(clientRef: number, at: number): Promise<void>;
}
