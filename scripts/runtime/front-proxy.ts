// The Node front proxy that owns the public port (HOST:PORT). workerd listens on loopback only; every
// request reaches it through here with spoofable headers removed and CF-Connecting-IP set from the
// socket (or, behind TRUSTED_PROXIES, from X-Forwarded-For). WebSocket upgrades are spliced through.
import { Agent, createServer, type IncomingMessage, request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { downstreamHeaders, type ForwardedFacts, upstreamHeaders } from './forwarded-headers.ts';
import { clientAddress, type TrustedProxies } from './trusted-proxies.ts';

export interface FrontProxyOptions {
  host: string;
  port: number;
  /** workerd's loopback port */
  upstreamPort: number;
  trustedProxies: TrustedProxies;
}

export interface FrontProxy {
  /** the port it listens on (useful when started with port 0) */
  port: number;
  /** stops accepting, lets in-flight HTTP requests finish for up to `graceMs`, then cuts everything */
  close(graceMs: number): Promise<void>;
}

const UPSTREAM_HOST = '127.0.0.1';

const single = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(',') : value);

/** What the proxy vouches for about this request's client. */
function forwardedFacts(req: IncomingMessage, trusted: TrustedProxies, upgrade: boolean): ForwardedFacts {
  const socketAddress = req.socket.remoteAddress ?? '';
  const clientIp = clientAddress(socketAddress, single(req.headers['x-forwarded-for']), trusted);
  const claimed = trusted.has(socketAddress) ? single(req.headers['x-forwarded-proto'])?.split(',').at(-1)?.trim().toLowerCase() : undefined;
  const proto = claimed === 'https' || claimed === 'http' ? claimed : undefined;
  return { clientIp, proto, upgrade };
}

export async function startFrontProxy(opts: FrontProxyOptions): Promise<FrontProxy> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const upgraded = new Set<Socket>();
  let inFlight = 0;

  const server = createServer((req, res) => {
    inFlight++;
    res.once('close', () => inFlight--);
    const up = httpRequest(
      {
        host: UPSTREAM_HOST,
        port: opts.upstreamPort,
        method: req.method,
        path: req.url,
        headers: upstreamHeaders(req.rawHeaders, forwardedFacts(req, opts.trustedProxies, false)),
        setHost: false,
        agent,
      },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, downstreamHeaders(upRes.rawHeaders));
        upRes.pipe(res);
      },
    );
    up.once('error', () => {
      if (res.headersSent) res.destroy();
      else
        res.writeHead(502, { 'content-type': 'application/json' }).end('{"success":false,"code":"WORKER_UNAVAILABLE","error":"The Worker is not answering"}');
    });
    res.once('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  });

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    upgraded.add(socket);
    const up = connect(opts.upstreamPort, UPSTREAM_HOST);
    const cut = () => {
      upgraded.delete(socket);
      socket.destroy();
      up.destroy();
    };
    up.once('error', cut).once('close', cut);
    socket.once('error', cut).once('close', cut);
    up.once('connect', () => {
      const headers = upstreamHeaders(req.rawHeaders, forwardedFacts(req, opts.trustedProxies, true));
      let lines = `${req.method} ${req.url} HTTP/1.1\r\n`;
      for (let i = 0; i < headers.length; i += 2) lines += `${headers[i]}: ${headers[i + 1]}\r\n`;
      up.write(`${lines}\r\n`);
      if (head.length > 0) up.write(head);
      up.pipe(socket).pipe(up);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the front proxy has no TCP address');

  return {
    port: address.port,
    async close(graceMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const deadline = Date.now() + graceMs;
      while (inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      for (const socket of upgraded) socket.destroy();
      server.closeAllConnections();
      agent.destroy();
      await closed;
    },
  };
}
