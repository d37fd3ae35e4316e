// What each Durable Object offers over RPC. Services and routes reach objects only through these
// (via the bindings in env.ts), never by importing an object's class, so imports go one way:
// entry points (routes, objects) → services → db/lib, with no cycle through the bindings' types.
import type { LiveFrame, LiveState } from '../../adapters/live.ts';
import type { Op, RawBridgeResult } from '../../adapters/protocol.ts';
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
}

/** One per (rule, caller address): an exact sliding-window log. */
export interface RateLimiterRpc extends Rpc.DurableObjectBranded {
  hit(limit: number, windowMs: number): LimitResult;
  refund(): void;
  peek(limit: number, windowMs: number): LimitResult;
}

/** One per webhook endpoint: its alarm sends the endpoint's due deliveries. */
export interface WebhookSenderRpc extends Rpc.DurableObjectBranded {
  wake(endpoint: string, at?: number): Promise<void>;
}

export interface LinkStatus {
  connected: boolean;
  bridges: { bridgeId: string; transport: string; version: string | null; lastSeenAt: number; clientRefs: number[] }[];
}

/** The bridges' WebSocket links: requests out to the bridge holding a client, events in. */
export interface BridgeLinkRpc extends Rpc.DurableObjectBranded {
  request(clientRef: number, op: Op, params: Record<string, unknown>, timeoutMs?: number): Promise<RawBridgeResult>;
  watch(clientRef: number, on: boolean): void;
  forget(clientRef: number): void;
  /** closes the links of a bridge whose credential was revoked */
  disconnect(bridgeId: string): number;
  status(detail?: boolean): LinkStatus;
}

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

export type CancelResult = 'cancelled' | 'sending' | 'missing';

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
  cancel(id: string): Promise<CancelResult>;
  queueView(): Promise<QueueView>;
  setPolicy(override: Partial<GovernorPolicy> | null): Promise<GovernorPolicy>;
  /** WhatsApp refused a sent message after the fact (463 nack): the number pauses */
  refusedAfterSend(clientRef: number, reason: string): Promise<void>;
  apply(update: Partial<LiveState>): Promise<LiveState>;
  state(): Promise<LiveState>;
  forget(): Promise<void>;
  broadcast(frame: LiveFrame): number;
  schedule(clientRef: number, at: number): Promise<void>;
}
