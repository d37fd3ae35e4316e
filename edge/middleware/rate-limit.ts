// Limiters backed by RateLimiter Durable Objects (an exact sliding window each): per caller address for
// most rules, per device for the gateway's `device` rule. Over a limit: 429 with Retry-After. A busy caller's
// slots are leased to the isolate a few at a time (slot-leases.ts).
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { AppEnv } from '../env.ts';
import { audit } from '../lib/audit.ts';
import { clientAddress } from '../lib/client-address.ts';
import { ApiError } from '../lib/errors.ts';
import { type RuleName, rulesFrom } from '../lib/rate-rules.ts';
import { TtlCache } from '../lib/ttl-cache.ts';
import { LOGIN_COOKIE } from '../services/logins.ts';
import type { LimitResult } from '../objects/contracts.ts';
import { busy, close, keep, type Lease, spend, wanted } from './slot-leases.ts';

interface Options {
  /** `failures`: every attempt takes a slot up front (so parallel guesses are counted), successes give it back */
  count?: 'all' | 'failures';
}

function setHeaders(headers: Headers, rule: { limit: number; windowSec: number }, r: LimitResult) {
  headers.set('RateLimit-Policy', `${rule.limit};w=${rule.windowSec}`);
  headers.set('RateLimit-Limit', String(rule.limit));
  headers.set('RateLimit-Remaining', String(r.remaining));
  headers.set('RateLimit-Reset', String(Math.ceil(r.resetMs / 1000)));
}

const refusedRecently = new TtlCache<string, true>(60_000);
function firstRefusal(key: string): boolean {
  if (refusedRecently.get(key)) return false;
  refusedRecently.set(key, true);
  return true;
}

/** A lease's unspent slots go back to its limiter when it ends (slot-leases.ts). */
function closeLater(c: Context<AppEnv>, key: string, lease: Lease) {
  const done = new Promise((resolve) => setTimeout(resolve, Math.max(0, lease.until - Date.now()))).then(async () => {
    const left = close(key, lease);
    if (left > 0) await c.env.RATE_LIMITER.getByName(key).refund(left);
  });
  c.executionCtx.waitUntil(done.catch((err: unknown) => console.error(`giving back ${key}'s leased slots failed; they leave its window in time`, err)));
}

export interface Slot {
  rule: { limit: number; windowSec: number };
  result: LimitResult;
  /** gives the slot back (the call turned out not to count): to the limiter, or for a busy caller kept in this isolate's lease */
  refund(): Promise<void>;
}

/**
 * Takes one slot of `name` for `identity` (default: the caller's address), or throws 429. Slots come from this
 * isolate's lease when it has one (slot-leases.ts); otherwise from the limiter object, a few at a time for a
 * busy caller.
 */
export async function takeSlot(c: Context<AppEnv>, name: RuleName, identity = clientAddress(c)): Promise<Slot> {
  const rule = rulesFrom(c.env.RATE_LIMITS)[name];
  const key = `${name}:${identity}`;
  const want = wanted(key, rule.limit);
  const slot = (result: LimitResult): Slot => ({
    rule,
    result,
    refund: async () => {
      // a busy caller's slot waits here for its next request; a slow caller's goes back at once (a slot kept
      // in an isolate that then went away would count for the whole window)
      if (!busy(key)) return c.env.RATE_LIMITER.getByName(key).refund(1);
      const lease = keep(key, 1, result);
      if (lease) closeLater(c, key, lease);
    },
  });
  const leased = spend(key);
  if (leased) return slot(leased);
  const result = await c.env.RATE_LIMITER.getByName(key).hit(rule.limit, rule.windowSec * 1000, want);
  if (!result.allowed) {
    const retryAfter = String(Math.ceil(result.retryAfterMs / 1000));
    // one audit entry per rule and caller per minute from this isolate: a flood of refusals writes no flood of rows
    if (firstRefusal(key))
      await audit(c, {
        userId: c.get('auth')?.userId ?? null,
        category: 'security',
        event: 'rate_limited',
        message: `${name} limit (${rule.limit} per ${rule.windowSec}s) reached on ${c.req.method} ${c.req.path}`,
      });
    const headers = new Headers({ 'Retry-After': retryAfter });
    setHeaders(headers, rule, result);
    throw new ApiError(429, 'RATE_LIMITED', `Too many requests; retry after ${retryAfter}s`, Object.fromEntries(headers));
  }
  const extra = (result.granted ?? 1) - 1;
  if (extra > 0) {
    const lease = keep(key, extra, result);
    if (lease) closeLater(c, key, lease);
  }
  return slot(result);
}

/**
 * The `api` rule for API-key calls and for every write; the `dashboard` rule for reads a person makes through
 * the pages (a login cookie, no key, GET/HEAD): pages read a lot, and a script that logs in gets no more
 * sends, schedules or replays than the API allows. A forged cookie gains nothing: without a valid login the
 * call is refused (401), and a login token cannot be guessed.
 */
export function apiRateLimit(): MiddlewareHandler<AppEnv> {
  const api = rateLimit('api');
  const dashboard = rateLimit('dashboard');
  return (c, next) => {
    const read = c.req.method === 'GET' || c.req.method === 'HEAD';
    return read && c.req.header('x-api-key') === undefined && getCookie(c, LOGIN_COOKIE) ? dashboard(c, next) : api(c, next);
  };
}

export function rateLimit(name: RuleName, opts: Options = {}): MiddlewareHandler<AppEnv> {
  return async (c: Context<AppEnv>, next) => {
    const slot = await takeSlot(c, name);
    await next();
    let final = slot.result;
    if (opts.count === 'failures' && c.res.status !== 401 && c.res.status !== 403) {
      await slot.refund();
      final = { ...final, remaining: final.remaining + 1 };
    }
    try {
      setHeaders(c.res.headers, slot.rule, final);
    } catch {
      // immutable headers (a passed-through response): leave them as they are
    }
  };
}
