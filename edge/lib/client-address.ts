// Facts about the caller that several middlewares need: the one place that says who is calling.
import type { Context } from 'hono';

/**
 * The caller's address for rate limits and audit rows, as the runtime reports it (`CF-Connecting-IP`:
 * Cloudflare's, or the front proxy's from the socket); `unknown` otherwise. An IPv6 caller is its /64:
 * one subscriber holds a whole /64 and could otherwise rotate addresses past every limiter.
 */
export const clientAddress = (c: Context): string => {
  const ip = c.req.header('cf-connecting-ip');
  if (!ip) return 'unknown';
  return ip.includes(':') ? ipv6Prefix64(ip) : ip;
};

/** `2001:db8:1:2:aaaa::1` → `2001:db8:1:2::/64` (an IPv4-mapped address stays its IPv4 address). */
export function ipv6Prefix64(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  const [head = '', tail] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, '') || '0')
    .join(':')}::/64`;
}

export const isHttps = (c: Context): boolean => new URL(c.req.url).protocol === 'https:';
