// The outbound guard against real local servers: called directly, and wired into a real Miniflare.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOutboundGuard, type Resolve } from './outbound-guard.ts';
import { loadMiniflare } from './toolchain.ts';

interface Seen {
  method: string;
  url: string;
  type: string | undefined;
  body: Buffer;
}

let server: Server;
let base: string;
const seen: Seen[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', type: req.headers['content-type'], body: Buffer.concat(chunks) });
      if (req.url === '/redirect') res.writeHead(302, { location: `${base}/elsewhere` }).end();
      else res.writeHead(200, { 'content-type': 'text/plain' }).end(`got ${req.method} ${req.url}`);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

const { Request } = loadMiniflare();
const port = () => (server.address() as AddressInfo).port;

describe('outbound guard (private targets refused)', () => {
  const calls: string[] = [];
  const resolve: Resolve = async (host) => {
    calls.push(host);
    if (host === 'hooks.example.test') return [{ address: '127.0.0.1', family: 4 }];
    if (host === 'dual.example.test')
      return [
        { address: '2606:4700::1111', family: 6 },
        { address: '10.0.0.7', family: 4 },
      ];
    throw Object.assign(new Error(`unknown host ${host}`), { code: 'ENOTFOUND' });
  };
  const guard = createOutboundGuard({ allowPrivate: false, resolve });
  afterAll(() => guard.close());

  it.each(['http://127.0.0.1:PORT/', 'http://localhost:PORT/', 'http://[::1]:PORT/', 'http://[::ffff:127.0.0.1]:PORT/', 'http://2130706433:PORT/'])(
    'refuses %s without connecting',
    async (pattern) => {
      const before = seen.length;
      const res = await guard.fetch(new Request(pattern.replace('PORT', String(port())), { method: 'POST', body: 'secret' }));
      expect(res.status).toBe(502);
      expect(res.headers.get('x-outbound-error')).toBe('refused');
      expect(seen.length).toBe(before);
    },
  );

  it('refuses a host name that resolves to loopback, at connect time', async () => {
    const before = seen.length;
    const res = await guard.fetch(new Request(`http://hooks.example.test:${port()}/hook`, { method: 'POST', body: '{}' }));
    expect(res.status).toBe(502);
    expect(await res.text()).toContain('resolves to 127.0.0.1');
    expect(calls).toContain('hooks.example.test');
    expect(seen.length).toBe(before);
  });

  it('refuses a host name when any of its addresses is private', async () => {
    const res = await guard.fetch(new Request(`http://dual.example.test:${port()}/`));
    expect(res.status).toBe(502);
    expect(await res.text()).toContain('10.0.0.7');
  });

  it('refuses other schemes', async () => {
    const res = await guard.fetch(new Request('ftp://example.com/file'));
    expect(res.headers.get('x-outbound-error')).toBe('refused');
  });
});

describe('outbound guard with ALLOW_PRIVATE_WEBHOOK_URLS=true', () => {
  const guard = createOutboundGuard({ allowPrivate: true });
  afterAll(() => guard.close());

  it('delivers a POST to a local receiver with its body intact', async () => {
    const body = Buffer.from(JSON.stringify({ event: 'message_received', data: { text: 'שלום 👋', n: 1 } }));
    const res = await guard.fetch(new Request(`${base}/hook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }));
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('got POST /hook');
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ method: 'POST', url: '/hook', type: 'application/json' });
    expect(last.body.equals(body)).toBe(true);
  });

  it('does not follow redirects', async () => {
    const before = seen.length;
    const res = await guard.fetch(new Request(`${base}/redirect`));
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${base}/elsewhere`);
    expect(seen.slice(before).map((s) => s.url)).toEqual(['/redirect']);
  });
});

describe('outbound guard wired into Miniflare', () => {
  const { Miniflare, convertV4MiniflareOptions } = loadMiniflare();
  const script = `
    import { DurableObject } from 'cloudflare:workers';
    const probe = async (url) => {
      const r = await fetch(url, { method: 'POST', body: 'x', redirect: 'manual' });
      return Response.json({ status: r.status, error: r.headers.get('x-outbound-error') });
    };
    export class Probe extends DurableObject { fetch(req) { return probe(new URL(req.url).searchParams.get('url')); } }
    export default {
      fetch(req, env) {
        const u = new URL(req.url);
        return u.pathname === '/do' ? env.PROBE.getByName('p').fetch(req) : probe(u.searchParams.get('url'));
      },
    };`;

  const serve = (allowPrivate: boolean) => {
    const guard = createOutboundGuard({ allowPrivate });
    const mf = new Miniflare(
      convertV4MiniflareOptions({
        modules: true,
        script,
        compatibilityDate: '2026-11-01',
        cf: false,
        host: '127.0.0.1',
        port: 0,
        durableObjects: { PROBE: 'Probe' },
        outboundService: (request) => guard.fetch(request),
      }),
    );
    return {
      probe: async (path: string) => (await mf.dispatchFetch(`http://app.test${path}?url=${encodeURIComponent(`${base}/hook`)}`)).json(),
      dispose: async () => {
        await mf.dispose();
        await guard.close();
      },
    };
  };

  it('refuses private targets from the Worker and from its Durable Objects', async () => {
    const mf = serve(false);
    try {
      const before = seen.length;
      expect(await mf.probe('/')).toEqual({ status: 502, error: 'refused' });
      expect(await mf.probe('/do')).toEqual({ status: 502, error: 'refused' });
      expect(seen.length).toBe(before);
    } finally {
      await mf.dispose();
    }
  });

  it('lets them through when private targets are allowed', async () => {
    const mf = serve(true);
    try {
      const before = seen.length;
      expect(await mf.probe('/')).toEqual({ status: 200, error: null });
      expect(await mf.probe('/do')).toEqual({ status: 200, error: null });
      expect(seen.slice(before).map((s) => `${s.method} ${s.url} ${s.body}`)).toEqual(['POST /hook x', 'POST /hook x']);
    } finally {
      await mf.dispose();
    }
  });
});
