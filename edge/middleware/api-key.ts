// x-api-key authentication: an account key (every client of that user) or a client key (that client only).
import type { MiddlewareHandler } from 'hono';
import { getDb } from '../db/client.ts';
import type { AppEnv } from '../env.ts';
import { audit } from '../lib/audit.ts';
import { ApiError } from '../lib/errors.ts';
import { findKey } from '../services/keys.ts';

async function authenticateKey(c: Parameters<MiddlewareHandler<AppEnv>>[0], presented: string): Promise<void> {
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

export function apiKeyAuth(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const presented = c.req.header('x-api-key');
    if (!presented) throw new ApiError(401, 'AUTH_ERROR', 'API key required in the x-api-key header');
    await authenticateKey(c, presented);
    await next();
  };
}

/** Routes that act for the whole account (create clients, read logs) refuse a client-scoped key. */
export function accountScope(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.get('auth').clientRef !== null) throw new ApiError(403, 'ACCESS_DENIED', 'This route needs the account API key, not a client key');
    await next();
  };
}
