// Who the client is. Self-hosted, the client is the address of the socket that reached us, unless that
// socket comes from a proxy named in TRUSTED_PROXIES: then X-Forwarded-For names the client, read
// from the right (the entries a trusted proxy appended) and skipping every address that is itself a
// trusted proxy. Entries further left were written by the client and are never believed.
import { BlockList, isIP } from 'node:net';

export interface TrustedProxies {
  /** the TRUSTED_PROXIES entries as given, for messages */
  readonly entries: readonly string[];
  has(address: string): boolean;
}

/** `::ffff:1.2.3.4` → `1.2.3.4`; IPv6 lower-cased; undefined when it is not an address. */
export function normalizeAddress(raw: string): string | undefined {
  const address = raw.trim().toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (mapped) return mapped[1];
  return isIP(address) ? address : undefined;
}

/** Parses TRUSTED_PROXIES: comma-separated IPv4/IPv6 addresses and CIDRs. Throws on a bad entry. */
export function parseTrustedProxies(spec: string | undefined): TrustedProxies {
  const list = new BlockList();
  const entries = (spec ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const entry of entries) {
    const [net = '', bits, extra] = entry.split('/');
    const address = normalizeAddress(net);
    const family = address ? isIP(address) : 0;
    const max = family === 4 ? 32 : 128;
    const prefix = bits === undefined ? max : Number(bits);
    if (!address || extra !== undefined || (bits !== undefined && !/^\d+$/.test(bits)) || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
      throw new Error(`TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR (e.g. 10.0.0.0/8, fd00::/8, 127.0.0.1)`);
    }
    list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return {
    entries,
    has: (raw) => {
      const address = normalizeAddress(raw);
      return address !== undefined && list.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

/** One X-Forwarded-For entry: `1.2.3.4`, `1.2.3.4:567`, `2001:db8::1`, `[2001:db8::1]:567`, `"[::1]"`. */
function forwardedEntry(raw: string): string | undefined {
  const entry = raw.trim().replace(/^"|"$/g, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(entry);
  if (bracketed) return normalizeAddress(bracketed[1]!);
  const withPort = /^(\d+\.\d+\.\d+\.\d+):\d+$/.exec(entry);
  return normalizeAddress(withPort ? withPort[1]! : entry);
}

/**
 * The client's address: the socket's, or — when the socket is a trusted proxy — the rightmost
 * X-Forwarded-For entry that is not itself a trusted proxy. An unreadable entry stops the walk at
 * the last trusted hop (never further left than what a trusted proxy vouched for).
 */
export function clientAddress(socketAddress: string, forwardedFor: string | undefined, trusted: TrustedProxies): string {
  let client = normalizeAddress(socketAddress) ?? socketAddress;
  if (!trusted.has(client) || !forwardedFor) return client;
  const hops = forwardedFor.split(',').reverse();
  for (const hop of hops) {
    const address = forwardedEntry(hop);
    if (!address) break;
    client = address;
    if (!trusted.has(address)) break;
  }
  return client;
}
