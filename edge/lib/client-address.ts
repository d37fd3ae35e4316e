// Facts about the caller that several middlewares need: the one place that says who is calling.
import type { Context } from 'hono';

/** The caller's address (rate limits, audit rows), as the runtime reports it; `unknown` otherwise. */
export const clientAddress = (c: Context): string => c.req.header('cf-connecting-ip') ?? 'unknown';

export const isHttps = (c: Context): boolean => new URL(c.req.url).protocol === 'https:';
