// x-api-key authentication (account or client key) and per-key, per-route, per-day usage counting.
import { sql } from 'drizzle-orm';
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { getDb } from '../db/client.ts';
import { apiUsage } from '../db/schema.ts';
import type { AppEnv } from '../env.ts';
import { audit } from '../lib/audit.ts';
import { ApiError } from '../lib/errors.ts';
import { findKey } from '../services/keys.ts';

export async function authenticateKey(c: Parameters<MiddlewareHandler<AppEnv>>[0], presented: string): Promise<void> {
  const db = getDb(c.env.DB);
  const found = presented.length >= 8 && presented.length <= 256 ? await findKey(db, presented) : undefined;
  if (!found) {
    await audit(c, { userId: null, category: 'security', event: 'auth_failed', message: `Invalid API key on ${c.req.method} ${c.req.path}` });
    throw new ApiError(401, 'AUTH_ERROR', 'Invalid API key');
  }
  c.set('auth', {
    userId: found.userId,
    username: found.username,
    role: found.role,
    via: 'key',
    clientRef: found.clientRef,
    keyLabel: found.clientId ? `client:${found.clientId}` : 'account',
  });
}

async function countUsage(c: Parameters<MiddlewareHandler<AppEnv>>[0]) {
  const auth = c.get('auth');
  const day = new Date().toISOString().slice(0, 10);
  await getDb(c.env.DB)
    .insert(apiUsage)
    .values({ userId: auth.userId, keyLabel: auth.keyLabel, method: c.req.method, route: routePath(c, -1), day, count: 1 })
    .onConflictDoUpdate({
      target: [apiUsage.userId, apiUsage.keyLabel, apiUsage.method, apiUsage.route, apiUsage.day],
      set: { count: sql`${apiUsage.count} + 1` },
    });
}

export function apiKeyAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const presented = c.req.header('x-api-key');
    if (!presented) throw new ApiError(401, 'AUTH_ERROR', 'API key required in the x-api-key header');
    await authenticateKey(c, presented);
    await next();
    c.executionCtx.waitUntil(countUsage(c).catch((e) => console.error('usage count failed', e)));
  };
}

/** Routes that act for the whole account (create clients, read logs) refuse a client-scoped key. */
export function accountScope(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.get('auth').clientRef !== null) throw new ApiError(403, 'ACCESS_DENIED', 'This route needs the account API key, not a client key');
    await next();
  };
}
