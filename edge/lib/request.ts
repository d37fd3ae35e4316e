// Facts about the caller that several middlewares need.
import type { Context } from 'hono';

/** The caller's IP as Cloudflare reports it (wrangler dev sets it too); `unknown` otherwise. */
export const clientIp = (c: Context): string => c.req.header('cf-connecting-ip') ?? c.req.header('x-real-ip') ?? 'unknown';

export const isHttps = (c: Context): boolean => new URL(c.req.url).protocol === 'https:';
