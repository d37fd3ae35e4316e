// Dashboard session authentication (cookie from POST /auth/login), with cross-site protection.
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { every } from 'hono/combine';
import { getDb } from '../db/client.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../lib/errors.ts';
import { findSession, SESSION_COOKIE } from '../services/sessions.ts';
import { authenticateKey } from './api-key.ts';
import { sameOrigin } from './same-origin.ts';

const loadSession: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = getCookie(c, SESSION_COOKIE);
  const found = token ? await findSession(getDb(c.env.DB), token) : undefined;
  if (!found) throw new ApiError(401, 'AUTH_ERROR', 'Login required (session cookie from POST /auth/login)');
  c.set('auth', { ...found, via: 'session', clientRef: null, keyLabel: 'session' });
  await next();
};

export const sessionAuth = (): MiddlewareHandler<AppEnv> => every(sameOrigin(), loadSession);

/** A dashboard session or an x-api-key: whichever the caller sent. */
export function sessionOrKey(): MiddlewareHandler<AppEnv> {
  const session = sessionAuth();
  return async (c, next) => {
    const key = c.req.header('x-api-key');
    if (!key) return session(c, next);
    await authenticateKey(c, key);
    await next();
  };
}
