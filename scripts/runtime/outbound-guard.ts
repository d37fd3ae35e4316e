// Every fetch the Worker and its Durable Objects make leaves through here (Miniflare's outboundService).
// Unless private targets are allowed (ALLOW_PRIVATE_WEBHOOK_URLS=true, tests only), a URL whose host is,
// or resolves to, a non-public address is refused. The check runs inside the connection's own DNS
// lookup (undici Agent connect.lookup), so the address checked is the address connected to: DNS
// cannot answer differently between check and connect. Redirects are never followed here; workerd
// sends each hop through this guard again.
import { promises as dns, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { isPrivateAddress } from './private-addresses.ts';
import { loadMiniflare, loadUndici, type MfRequest, type MfResponse } from './toolchain.ts';

/** Resolves a host name to every address it has (node:dns by default; tests inject their own). */
export type Resolve = (hostname: string) => Promise<LookupAddress[]>;

export interface OutboundGuardOptions {
  /** ALLOW_PRIVATE_WEBHOOK_URLS=true: loopback and private targets are allowed */
  allowPrivate: boolean;
  resolve?: Resolve;
  log?: (line: string) => void;
}

export interface OutboundGuard {
  /** Miniflare's outboundService handler */
  fetch(request: MfRequest): Promise<MfResponse>;
  /** closes pooled connections */
  close(): Promise<void>;
}

export class PrivateAddressError extends Error {
  readonly code = 'EPRIVATEADDRESS';
}

const systemResolve: Resolve = (hostname) => dns.lookup(hostname, { all: true, verbatim: true });

const isLocalName = (host: string) => host === 'localhost' || host.endsWith('.localhost');

/** A net.connect lookup that refuses a host when any of its addresses is private. */
export function guardedLookup(resolve: Resolve): LookupFunction {
  return (hostname, options, callback) => {
    const refuse = (err: NodeJS.ErrnoException) => (options.all ? callback(err, []) : callback(err, '', 0));
    if (isLocalName(hostname.toLowerCase())) return refuse(new PrivateAddressError(`${hostname} is a local name`));
    resolve(hostname).then(
      (found) => {
        const wanted = options.family === 4 || options.family === 6 ? found.filter((a) => a.family === options.family) : found;
        const bad = found.find((a) => isPrivateAddress(a.address)); // any private answer: refuse, whichever family is wanted
        if (bad) return refuse(new PrivateAddressError(`${hostname} resolves to ${bad.address}, a private address`));
        const first = wanted[0];
        if (!first) return refuse(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }));
        if (options.all) callback(null, wanted);
        else callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => refuse(err),
    );
  };
}

/** The reason a URL is refused before any connection is tried, if it is. */
function refusedUpFront(url: URL): string | undefined {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return `scheme ${url.protocol} is not allowed`;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isLocalName(host)) return `${host} is a local name`;
  if (isIP(host) && isPrivateAddress(host)) return `${host} is a private address`;
  return undefined;
}

export function createOutboundGuard(opts: OutboundGuardOptions): OutboundGuard {
  const { Response } = loadMiniflare();
  const { Agent, fetch } = loadUndici();
  const log = opts.log ?? (() => {});
  const agent = new Agent(opts.allowPrivate ? {} : { connect: { lookup: guardedLookup(opts.resolve ?? systemResolve) } });
  const answer = (request: MfRequest, url: URL, outcome: 'refused' | 'failed', why: string) => {
    log(`outbound ${request.method} ${url.origin} ${outcome}: ${why}`);
    return new Response(`outbound request ${outcome}: ${why}`, { status: 502, headers: { 'content-type': 'text/plain', 'x-outbound-error': outcome } });
  };

  return {
    async fetch(request) {
      const url = new URL(request.url);
      const early = opts.allowPrivate ? undefined : refusedUpFront(url);
      if (early) return answer(request, url, 'refused', early);
      try {
        const res = await fetch(url.href, {
          method: request.method,
          headers: request.headers,
          body: request.body,
          duplex: 'half',
          redirect: 'manual',
          signal: request.signal,
          dispatcher: agent,
        });
        return new Response(res.body, { status: res.status, statusText: res.statusText, headers: res.headers });
      } catch (err) {
        const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
        if (cause instanceof PrivateAddressError) return answer(request, url, 'refused', cause.message);
        return answer(request, url, 'failed', cause instanceof Error ? cause.message : String(cause));
      }
    },
    close: () => agent.close(),
  };
}
