import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../lib/errors.ts';

export function requireAdmin(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.get('auth').role !== 'admin') throw new ApiError(403, 'ACCESS_DENIED', 'Admin role required');
    await next();
  };
}
