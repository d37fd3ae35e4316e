// Cookie-authenticated writes — and WebSocket upgrades, which browsers send cross-site with the cookie —
// must come from our own pages: cross-site requests are refused.
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.ts';
import { ApiError } from '../lib/errors.ts';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export function sameOrigin(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const upgrade = c.req.header('upgrade')?.toLowerCase() === 'websocket';
    if (!SAFE.has(c.req.method) || upgrade) {
      const site = c.req.header('sec-fetch-site');
      if (site && site !== 'same-origin' && site !== 'none') throw new ApiError(403, 'ACCESS_DENIED', 'Cross-site request refused');
      const origin = c.req.header('origin');
      if (origin) {
        let host: string | undefined;
        try {
          host = new URL(origin).host;
        } catch {
          host = undefined;
        }
        const own = [new URL(c.req.url).host, c.req.header('host')];
        if (!host || !own.includes(host)) throw new ApiError(403, 'ACCESS_DENIED', 'Cross-origin request refused');
      }
    }
    await next();
  };
}
