// The one outbound-URL guard (webhooks now, media later): http(s), no credentials, and no loopback,
// private, link-local, CGNAT, unique-local or otherwise non-public host unless explicitly allowed.
// The WHATWG URL parser already folds decimal, octal and hex IPv4 spellings into dotted quads.

export type GuardResult = { ok: true; url: URL } | { ok: false; reason: string };

export interface GuardOptions {
  allowPrivate?: boolean;
  /** https only (webhooks carry the client's API key); plain http only where private URLs are allowed (tests) */
  httpsOnly?: boolean;
}

type Cidr4 = [number, number];

const BLOCKED_V4: [string, Cidr4][] = [
  ['"this" network', [0x00000000, 8]],
  ['private (10/8)', [0x0a000000, 8]],
  ['carrier-grade NAT (100.64/10)', [0x64400000, 10]],
  ['loopback', [0x7f000000, 8]],
  ['link-local', [0xa9fe0000, 16]],
  ['private (172.16/12)', [0xac100000, 12]],
  ['IETF protocol assignments', [0xc0000000, 24]],
  ['documentation', [0xc0000200, 24]],
  ['6to4 relay anycast', [0xc0586300, 24]],
  ['private (192.168/16)', [0xc0a80000, 16]],
  ['benchmarking', [0xc6120000, 15]],
  ['documentation', [0xc6336400, 24]],
  ['documentation', [0xcb007100, 24]],
  ['multicast', [0xe0000000, 4]],
  ['reserved', [0xf0000000, 4]],
];

const BLOCKED_NAMES = /(^|\.)(localhost|local|localdomain|internal|intranet|lan|home\.arpa|corp)$/;

function v4ToInt(host: string): number | undefined {
  const parts = host.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

function v4Reason(ip: number): string | undefined {
  for (const [reason, [base, bits]] of BLOCKED_V4) {
    const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
    if ((ip & mask) >>> 0 === base) return reason;
  }
  return undefined;
}

/** Eight 16-bit groups of an IPv6 literal as the URL parser serializes it (hex groups, `::` at most once). */
function v6Groups(host: string): number[] | undefined {
  const halves = host.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string) => (s ? s.split(':').map((g) => (/^[0-9a-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN)) : []);
  const head = parse(halves[0] ?? '');
  const tail = halves.length === 2 ? parse(halves[1] ?? '') : [];
  const given = head.length + tail.length;
  if ((halves.length === 1 && given !== 8) || given > 8) return undefined;
  const groups = [...head, ...Array<number>(8 - given).fill(0), ...tail];
  return groups.some(Number.isNaN) ? undefined : groups;
}

function v6Reason(g: number[]): string | undefined {
  const [a = 0, b = 0] = g;
  const embedded = (hi: number, lo: number) => v4Reason(((hi << 16) >>> 0) + lo);
  if (g.every((x) => x === 0)) return 'unspecified address';
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return 'loopback';
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return embedded(g[6] ?? 0, g[7] ?? 0) ?? undefined;
  if (g.slice(0, 4).every((x) => x === 0) && g[4] === 0xffff && g[5] === 0) return 'IPv4-translated address';
  if (g.slice(0, 6).every((x) => x === 0)) return 'IPv4-compatible address';
  if (a === 0x64 && b === 0xff9b && g[2] === 1) return 'local-use NAT64';
  if (a === 0x2001 && b === 0) return 'Teredo';
  if (a === 0x64 && b === 0xff9b) return embedded(g[6] ?? 0, g[7] ?? 0) ?? undefined;
  if (a === 0x2002) return embedded(b, g[2] ?? 0) ?? undefined;
  if ((a & 0xfe00) === 0xfc00) return 'unique-local';
  if ((a & 0xffc0) === 0xfe80) return 'link-local';
  if ((a & 0xffc0) === 0xfec0) return 'site-local';
  if ((a & 0xff00) === 0xff00) return 'multicast';
  if (a === 0x2001 && b === 0x0db8) return 'documentation';
  if (a === 0x0100 && g.slice(1, 4).every((x) => x === 0)) return 'discard-only';
  return undefined;
}

/** Why this URL host (as `new URL()` gives it) is not a public internet host, or undefined when it may be one. */
export function nonPublicReason(hostname: string): string | undefined {
  // `localhost.` and `localhost..` name the same host as `localhost`
  const host = hostname.toLowerCase().replace(/\.+$/, '');
  if (host.startsWith('[') && host.endsWith(']')) {
    const groups = v6Groups(host.slice(1, -1));
    return groups ? v6Reason(groups) : 'malformed IPv6 address';
  }
  const v4 = v4ToInt(host);
  if (v4 !== undefined) return v4Reason(v4);
  if (/^[\d.]+$/.test(host)) return 'malformed IPv4 address';
  if (host.split('.').some((label) => label === '')) return 'malformed host name';
  if (BLOCKED_NAMES.test(host)) return 'local host name';
  if (!host.includes('.')) return 'single-label host name';
  return undefined;
}

export function checkOutboundUrl(raw: string, opts: GuardOptions = {}): GuardResult {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'not a valid absolute URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: 'only http and https URLs are allowed' };
  if (url.username || url.password) return { ok: false, reason: 'URLs with credentials are not allowed' };
  if (!url.hostname) return { ok: false, reason: 'URL has no host' };
  if (opts.httpsOnly && url.protocol !== 'https:' && !opts.allowPrivate)
    return { ok: false, reason: 'only https URLs are allowed (the delivery carries your API key)' };
  if (!opts.allowPrivate) {
    const reason = nonPublicReason(url.hostname);
    if (reason) return { ok: false, reason: `host ${url.hostname} is not public (${reason})` };
  }
  return { ok: true, url };
}

export const allowPrivateUrls = (env: { ALLOW_PRIVATE_WEBHOOK_URLS?: string }) => env.ALLOW_PRIVATE_WEBHOOK_URLS === 'true';
