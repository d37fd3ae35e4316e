// Usage per key (or login), route and day, counted for every authenticated call whatever the auth
// middleware was: it looks at who the call was made as once the route has run.
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { AppEnv } from '../env.ts';
import { countUsage, flushUsage } from '../services/usage.ts';

export function usage(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const auth = c.get('auth');
    if (!auth) return;
    countUsage({ userId: auth.userId, keyLabel: auth.keyLabel, method: c.req.method, route: routePath(c, -1) });
    c.executionCtx.waitUntil(flushUsage(c.env.DB));
  };
}
