// Per-IP limiter middleware backed by the RateLimiter Durable Object.
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.ts';
import { audit } from '../lib/audit.ts';
import { ApiError } from '../lib/errors.ts';
import { rulesFrom, type RuleName } from '../lib/rate-rules.ts';
import { clientAddress } from '../lib/client-address.ts';
import type { LimitResult } from '../objects/contracts.ts';

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

export function rateLimit(name: RuleName, opts: Options = {}): MiddlewareHandler<AppEnv> {
  return async (c: Context<AppEnv>, next) => {
    const rule = rulesFrom(c.env.RATE_LIMITS)[name];
    const windowMs = rule.windowSec * 1000;
    const stub = c.env.RATE_LIMITER.getByName(`${name}:${clientAddress(c)}`);
    const onlyFailures = opts.count === 'failures';
    const result = await stub.hit(rule.limit, windowMs);
    if (!result.allowed) {
      const retryAfter = String(Math.ceil(result.retryAfterMs / 1000));
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
    await next();
    let final = result;
    if (onlyFailures && c.res.status !== 401 && c.res.status !== 403) {
      await stub.refund();
      final = { ...result, remaining: result.remaining + 1 };
    }
    try {
      setHeaders(c.res.headers, rule, final);
    } catch {
      // immutable headers (a passed-through response): leave them as they are
    }
  };
}
