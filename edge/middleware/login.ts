// Dashboard login (the session cookie from POST /auth/login), with cross-site protection, and the
// routes that take either a login or an API key.
import type { MiddlewareHandler } from 'hono';
import { every, except } from 'hono/combine';
import { getCookie } from 'hono/cookie';
import { getDb } from '../db/client.ts';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../lib/errors.ts';
import { findLogin, LOGIN_COOKIE } from '../services/logins.ts';
import { apiKeyAuth } from './api-key.ts';
import { sameOrigin } from './same-origin.ts';

const loadLogin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = getCookie(c, LOGIN_COOKIE);
  const found = token ? await findLogin(getDb(c.env.DB), token) : undefined;
  if (!found) throw new ApiError(401, 'AUTH_ERROR', 'Login required (session cookie from POST /auth/login)');
  c.set('auth', { ...found, via: 'session', clientRef: null, keyLabel: 'session' });
  await next();
};

export const loginAuth = (): MiddlewareHandler<AppEnv> => every(sameOrigin(), loadLogin);

const keySent = (c: Parameters<MiddlewareHandler<AppEnv>>[0]) => c.req.header('x-api-key') !== undefined;

/** A dashboard login or an x-api-key: whichever the caller sent (a key, when it sent both). */
export const loginOrKey = (): MiddlewareHandler<AppEnv> =>
  every(
    except(keySent, loginAuth()),
    except((c) => !keySent(c), apiKeyAuth()),
  );
