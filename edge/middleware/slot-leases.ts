// Per-isolate leases on limiter slots: a caller sending many requests a second takes its slots from its
// limiter object a few at a time and spends them here, instead of one Durable Object round trip each; a
// slot given back (a success under a failures-only rule) is kept here for the next request, not returned
// at once. Limits stay exact: every slot spent was counted by the limiter first, so no window admits more
// than its limit. What a lease did not spend goes back to the limiter LEASE_MS after it was taken. A slow
// caller (about two requests a second or fewer) and a limit under 200 lease one slot at a time, as before.
// A slot may be spent up to LEASE_MS after the limiter counted it (and until the lease's timer runs): a window
// (60 s or more) shifts by about that.
import type { LimitResult } from '../objects/contracts.ts';

/** How long leased slots may be spent before what is left goes back to the limiter. */
export const LEASE_MS = 1000;
/** a lease not closed this long after its end is taken for lost (its owner's timer never ran) */
const STALE_MS = 10 * LEASE_MS;
/** A lease asks for at most this many slots, and at most 1% of the limit. */
const MAX_LEASE = 64;
const MAX_KEYS = 5000;
/** requests a second from one caller that make it busy */
const BUSY_PER_SECOND = 4;

export interface Lease {
  left: number;
  /** the limiter's latest answer: `remaining` there already excludes this lease's slots */
  result: LimitResult;
  until: number;
}

const leases = new Map<string, Lease>();
/** requests seen per key in the current second and the one before: the rate a lease is sized by */
const demand = new Map<string, { second: number; now: number; before: number }>();

function bounded<V>(map: Map<string, V>) {
  if (map.size > MAX_KEYS) map.delete(map.keys().next().value as string);
}

/** Counts a request for `key`; the number of slots to ask the limiter for when this isolate has none. */
export function wanted(key: string, limit: number, now = Date.now()): number {
  const second = Math.floor(now / 1000);
  const last = demand.get(key);
  const d = !last || last.second < second - 1 ? { second, now: 0, before: 0 } : last.second === second - 1 ? { second, now: 0, before: last.now } : last;
  d.now++;
  demand.set(key, d);
  bounded(demand);
  return Math.max(1, Math.min(MAX_LEASE, Math.floor(limit / 100), Math.floor(rateOf(key, now) / 2)));
}

/** Requests a second seen here for `key`: the busier of this second and the one before (0 when older). */
function rateOf(key: string, now: number): number {
  const d = demand.get(key);
  if (!d || d.second < Math.floor(now / 1000) - 1) return 0;
  return Math.max(d.now, d.before);
}

/**
 * The lease for `key` until its owner closes it — also a little past `until`, while its timer is due: one pool
 * per key, so the slots of a lease that ran out are never stranded beside a new one (with many requests in
 * flight, two pools could hold more slots than a small limit has). One whose close never came is dropped.
 */
function open(key: string, now: number): Lease | undefined {
  const lease = leases.get(key);
  if (lease && lease.until + STALE_MS < now) {
    leases.delete(key); // its slots leave the window in time
    return undefined;
  }
  return lease;
}

/** Whether `key` sees a few requests a second here: only then is a slot given back kept in a lease. */
export function busy(key: string, now = Date.now()): boolean {
  return rateOf(key, now) >= BUSY_PER_SECOND;
}

/** One slot from this isolate's running lease for `key`, with the limiter's numbers as seen from here. */
export function spend(key: string, now = Date.now()): LimitResult | null {
  const lease = open(key, now);
  if (!lease || lease.left <= 0) return null;
  lease.left--;
  return { ...lease.result, remaining: lease.result.remaining + lease.left };
}

/**
 * Keeps `extra` slots the limiter counted and this request did not spend. Returns a new lease (its owner
 * gives back what is left of it at `until`, with `close`), or null when they joined a running one.
 */
export function keep(key: string, extra: number, result: LimitResult, now = Date.now()): Lease | null {
  const running = open(key, now);
  if (running) {
    running.left += extra;
    running.result = result;
    return null;
  }
  const lease: Lease = { left: extra, result, until: now + LEASE_MS };
  leases.set(key, lease);
  bounded(leases);
  return lease;
}

/** The lease ended: the slots it did not spend (to give back to the limiter); spent no more. */
export function close(key: string, lease: Lease): number {
  if (leases.get(key) === lease) leases.delete(key);
  const left = lease.left;
  lease.left = 0;
  return left;
}
