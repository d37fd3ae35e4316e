// Asking the bridge that holds a client to do something: typed by the op (adapters/protocol.ts), routed
// through the client's Durable Object, and checked against the op's result schema on the way back.
import type { LiveFrame } from '../../adapters/live.ts';
import { type BridgeFailure, type BridgeResult, checkResult, type Op, type OpParams, type OpResult } from '../../adapters/protocol.ts';
import type { Bindings } from '../env.ts';
import { ApiError } from '../lib/errors.ts';
import { type FleetBridge, fleet } from './fleet.ts';

export const hubFor = (env: Bindings, clientRef: number) => env.CLIENT_HUB.getByName(`client:${clientRef}`);

/** The object that holds one bridge's link (and the record of the leases it was given). */
export const linkOf = (env: Bindings, bridgeId: string) => env.BRIDGE_LINK.getByName(`bridge:${bridgeId}`);

let recentFleet: { at: number; bridges: Promise<FleetBridge[]> } | undefined;

/** How long a link object is given to say whether its link is open (past it, D1's view stands). */
const LINKED_WAIT_MS = 1000;

/**
 * Whether the bridge's link is open now, as its object answers within LINKED_WAIT_MS; `fallback` when it
 * does not answer in time or the call fails (a busy or restarting object is not taken for a gone link).
 */
export async function linkedNow(env: Bindings, bridgeId: string, fallback: boolean): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(fallback), LINKED_WAIT_MS);
  });
  const asked = linkOf(env, bridgeId)
    .linked()
    .catch(() => fallback);
  try {
    return await Promise.race([asked, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The fleet as D1 records it, with every bridge D1 counts live asked of its link object: D1 learns of a link
 * that ended without a close (the runtime restarted) only once it has been silent LIVE_WITHIN_MS.
 */
export async function confirmedFleet(env: Bindings): Promise<FleetBridge[]> {
  const bridges = await fleet(env);
  return Promise.all(bridges.map(async (b) => (b.live ? { ...b, live: await linkedNow(env, b.bridgeId, true) } : b)));
}

/** The fleet's state, read at most every 2 s per isolate (health checks poll often); one reading at a time. */
export function linkStatus(env: Bindings): Promise<{ connected: boolean; bridges: FleetBridge[] }> {
  if (!recentFleet || Date.now() - recentFleet.at > 2000) {
    const reading = { at: Number.POSITIVE_INFINITY, bridges: confirmedFleet(env).catch(() => []) };
    reading.bridges.finally(() => {
      reading.at = Date.now();
    });
    recentFleet = reading;
  }
  return recentFleet.bridges.then((bridges) => ({ connected: bridges.some((b) => b.live), bridges }));
}

/** A live update to the client's open chat sockets (never fails the caller). */
export const live = (env: Bindings, clientRef: number, frame: LiveFrame): Promise<unknown> =>
  hubFor(env, clientRef)
    .broadcast(frame)
    .catch((err: unknown) => console.error('live update failed', err));

/** The bridge's answer to `op`, or why there is none. */
export async function ask<O extends Op>(env: Bindings, clientRef: number, op: O, params: OpParams<O>): Promise<BridgeResult<O>> {
  const raw = await hubFor(env, clientRef).request(clientRef, op, params ?? {});
  return checkResult(op, raw);
}

/** As `ask`, with a refusal thrown as the API answers it. */
export async function command<O extends Op>(env: Bindings, clientRef: number, op: O, params: OpParams<O>): Promise<OpResult<O>> {
  const result = await ask(env, clientRef, op, params);
  if (!result.ok) throw bridgeError(result);
  return result.result;
}

/** A bridge's refusal as the API answers it. */
export function bridgeError(result: BridgeFailure): ApiError {
  switch (result.code) {
    case 'MEDIA_ERROR':
    case 'VALIDATION_ERROR':
    case 'NOT_SUPPORTED':
      return new ApiError(400, result.code, result.message);
    case 'GROUP_NOT_FOUND':
    case 'MEDIA_NOT_FOUND':
      return new ApiError(404, result.code, result.message);
    case 'READ_ONLY_CHAT':
      return new ApiError(403, 'READ_ONLY_CHAT', result.message);
    case 'WHATSAPP_RATE_LIMIT':
      return new ApiError(429, result.code, result.message, { 'Retry-After': '3600' });
    case 'NO_PENDING_QR':
    case 'NO_PENDING_CODE':
    case 'SEND_OUTCOME_UNKNOWN':
      return new ApiError(409, result.code, result.message);
    case 'WHATSAPP_ERROR':
    case 'MEDIA_TOO_LARGE':
    case 'BRIDGE_PROTOCOL_ERROR':
      return new ApiError(502, result.code, result.message);
    default:
      return new ApiError(503, result.code, result.message);
  }
}
