// What each Durable Object offers over RPC. Services and routes reach objects only through these
// (via the bindings in env.ts), never by importing an object's class, so imports go one way:
// entry points (routes, objects) → services → db/lib, with no cycle through the bindings' types.
import type { LiveFrame, LiveState, PendingLive } from '../../adapters/live.ts';
import type { Op, RawBridgeResult } from '../../adapters/protocol.ts';

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
  bridges: { bridgeId: string; transport: string }[];
}

/** The bridges' WebSocket links: requests out to the bridge holding a client, events in. */
export interface BridgeLinkRpc extends Rpc.DurableObjectBranded {
  request(clientRef: number, op: Op, params: Record<string, unknown>, timeoutMs?: number): Promise<RawBridgeResult>;
  watch(clientRef: number, on: boolean): void;
  forget(clientRef: number): void;
  /** closes the links of a bridge whose credential was revoked */
  disconnect(bridgeId: string): number;
  status(): LinkStatus;
}

/** One per WhatsApp client: its commands, live state, live sockets and scheduled-send alarm. */
export interface ClientHubRpc extends Rpc.DurableObjectBranded {
  /** `sent`: live frames to push for what leaves (one per item of a send or batch) */
  request(clientRef: number, op: Op, params: Record<string, unknown>, sent?: PendingLive[]): Promise<RawBridgeResult>;
  apply(update: Partial<LiveState>): Promise<LiveState>;
  state(): Promise<LiveState>;
  forget(): Promise<void>;
  broadcast(frame: LiveFrame): number;
  schedule(clientRef: number, at: number): Promise<void>;
}
