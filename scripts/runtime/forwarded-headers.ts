// The request headers the front proxy passes to workerd. Miniflare's entry worker believes
// CF-Connecting-IP, MF-* (request.cf, the original URL, routing), X-Forwarded-Proto and more, so no
// client-supplied header of those families gets through: the proxy sets the ones it vouches for.

/** Hop-by-hop headers (RFC 9110 §7.6.1) and `expect`, which the proxy answers itself. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'expect',
]);

/** Headers a client could use to pose as someone else or to steer the runtime. */
export const isSpoofable = (name: string): boolean => /^(mf-|cf-|x-forwarded-)/.test(name) || ['x-real-ip', 'forwarded', 'true-client-ip'].includes(name);

export const isHopByHop = (name: string): boolean => HOP_BY_HOP.has(name);

export interface ForwardedFacts {
  /** the client's address as the proxy determined it */
  clientIp: string;
  /** `https` when a trusted TLS proxy says so; otherwise the runtime sees http */
  proto?: 'http' | 'https';
  /** keep `Connection: upgrade` and `Upgrade` (WebSocket handshakes) */
  upgrade?: boolean;
}

/** Rewrites a raw header list ([name, value, name, value, …]) for the upstream request. */
export function upstreamHeaders(raw: readonly string[], facts: ForwardedFacts): string[] {
  const connection = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === 'connection') for (const token of raw[i + 1]!.split(',')) connection.add(token.trim().toLowerCase());
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const keptForUpgrade = facts.upgrade === true && (name === 'upgrade' || name === 'connection');
    if (isSpoofable(name) || ((isHopByHop(name) || connection.has(name)) && !keptForUpgrade)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  out.push('CF-Connecting-IP', facts.clientIp);
  if (facts.proto) out.push('X-Forwarded-Proto', facts.proto);
  // no development error pages: Miniflare strips this header before the Worker sees it
  out.push('MF-Disable-Pretty-Error', 'true');
  return out;
}

/** Rewrites the upstream response's raw header list for the client (hop-by-hop headers dropped). */
export function downstreamHeaders(raw: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (!isHopByHop(raw[i]!.toLowerCase())) out.push(raw[i]!, raw[i + 1]!);
  return out;
}
