// The front proxy between real sockets: a client, the proxy, and an upstream that reports what it got.
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { type FrontProxy, startFrontProxy } from './front-proxy.ts';
import { parseTrustedProxies } from './trusted-proxies.ts';

interface Echo {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let upstream: Server;
let upstreamPort: number;
/** resolves the held /slow request */
let release: (() => void) | undefined;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      if (req.url === '/slow') {
        await new Promise<void>((r) => {
          release = r;
        });
      }
      const echo: Echo = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
      res.setHeader('set-cookie', ['a=1; HttpOnly', 'b=2']);
      res.writeHead(201, { 'content-type': 'application/json', connection: 'keep-alive', 'keep-alive': 'timeout=17' }).end(JSON.stringify(echo));
    });
  });
  const wss = new WebSocketServer({ server: upstream });
  wss.on('connection', (ws, req) => {
    ws.send(JSON.stringify(req.headers));
    ws.on('message', (m) => ws.send(`echo:${m}`));
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamPort = (upstream.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((r) => upstream.close(() => r())));

const SPOOFED = {
  'CF-Connecting-IP': '6.6.6.6',
  'cf-ipcountry': 'XX',
  'X-Forwarded-For': '6.6.6.7',
  'X-Forwarded-Proto': 'https',
  'X-Forwarded-Host': 'evil.example',
  'X-Real-IP': '6.6.6.8',
  Forwarded: 'for=6.6.6.9',
  'True-Client-IP': '6.6.6.10',
  'MF-Original-URL': 'http://evil.example/admin',
  'MF-CF-Blob': '{"clientIp":"6.6.6.11"}',
  'mf-route-override': 'other',
};

function call(proxy: { host: string; port: number }, path: string, headers: Record<string, string> = {}, body?: string) {
  return new Promise<{ status: number; headers: IncomingHttpHeaders; echo: Echo }>((resolve, reject) => {
    const req = request({ host: proxy.host, port: proxy.port, path, method: body ? 'POST' : 'GET', headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, echo: JSON.parse(text) as Echo }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function withProxy(host: string, trusted: string, fn: (p: FrontProxy & { host: string }) => Promise<void>) {
  const proxy = await startFrontProxy({ host, port: 0, upstreamPort, trustedProxies: parseTrustedProxies(trusted) });
  try {
    await fn({ ...proxy, host });
  } finally {
    await proxy.close(1000);
  }
}

describe('front proxy', () => {
  it('strips spoofable headers and sets CF-Connecting-IP from the socket', async () => {
    await withProxy('127.0.0.1', '', async (proxy) => {
      const res = await call(
        proxy,
        '/api/x?y=1',
        { ...SPOOFED, 'x-api-key': 'k', 'content-type': 'text/plain', Connection: 'keep-alive, X-Secret-Hop', 'X-Secret-Hop': '1' },
        'hello body',
      );
      expect(res.status).toBe(201);
      expect(res.echo).toMatchObject({ method: 'POST', url: '/api/x?y=1', body: 'hello body' });
      const h = res.echo.headers;
      expect(h['cf-connecting-ip']).toBe('127.0.0.1');
      expect(h['x-api-key']).toBe('k');
      expect(h['content-type']).toBe('text/plain');
      expect(h.host).toBe(`127.0.0.1:${proxy.port}`);
      for (const name of [
        'cf-ipcountry',
        'x-forwarded-for',
        'x-forwarded-proto',
        'x-forwarded-host',
        'x-real-ip',
        'forwarded',
        'true-client-ip',
        'mf-original-url',
        'mf-cf-blob',
        'mf-route-override',
        'x-secret-hop',
      ]) {
        expect(h[name], name).toBeUndefined();
      }
      expect(h['mf-disable-pretty-error']).toBe('true');
      expect(res.headers['set-cookie']).toEqual(['a=1; HttpOnly', 'b=2']);
      expect(res.headers['keep-alive']).not.toBe('timeout=17');
    });
  });

  it('ignores X-Forwarded-For from a socket that is not a trusted proxy', async () => {
    await withProxy('127.0.0.1', '10.0.0.0/8', async (proxy) => {
      const res = await call(proxy, '/', { 'X-Forwarded-For': '198.51.100.7' });
      expect(res.echo.headers['cf-connecting-ip']).toBe('127.0.0.1');
    });
  });

  it('behind a trusted IPv4 proxy, takes the rightmost untrusted X-Forwarded-For entry and its X-Forwarded-Proto', async () => {
    await withProxy('127.0.0.1', '127.0.0.1,10.0.0.0/8', async (proxy) => {
      const res = await call(proxy, '/', { 'X-Forwarded-For': '6.6.6.6, 198.51.100.7, 10.1.2.3', 'X-Forwarded-Proto': 'https' });
      expect(res.echo.headers['cf-connecting-ip']).toBe('198.51.100.7');
      expect(res.echo.headers['x-forwarded-proto']).toBe('https');
      expect(res.echo.headers['x-forwarded-for']).toBeUndefined();
    });
  });

  it('behind a trusted IPv6 proxy (CIDR), the same', async () => {
    await withProxy('::1', '::/120', async (proxy) => {
      const res = await call(proxy, '/', { 'X-Forwarded-For': '2001:db8::66, [2001:db8::5]:4711, ::2' });
      expect(res.echo.headers['cf-connecting-ip']).toBe('2001:db8::5');
      const direct = await call(proxy, '/');
      expect(direct.echo.headers['cf-connecting-ip']).toBe('::1');
    });
  });

  it('passes WebSocket upgrades, with the same header rules', async () => {
    await withProxy('127.0.0.1', '', async (proxy) => {
      const ws = new WebSocket(`ws://127.0.0.1:${proxy.port}/live`, { headers: SPOOFED });
      const messages: string[] = [];
      const next = () => new Promise<string>((r) => ws.once('message', (m) => r(String(m))));
      const first = next();
      await new Promise((r, j) => ws.once('open', r).once('error', j));
      const headers = JSON.parse(await first) as IncomingHttpHeaders;
      expect(headers['cf-connecting-ip']).toBe('127.0.0.1');
      expect(headers.upgrade).toBe('websocket');
      for (const name of ['x-forwarded-for', 'mf-original-url', 'mf-cf-blob', 'x-real-ip']) expect(headers[name], name).toBeUndefined();
      const reply = next();
      ws.send('ping');
      messages.push(await reply);
      expect(messages).toEqual(['echo:ping']);
      const closed = new Promise((r) => ws.once('close', r));
      ws.close();
      await closed;
    });
  });

  it('on close, finishes an in-flight request and refuses new connections', async () => {
    const proxy = await startFrontProxy({ host: '127.0.0.1', port: 0, upstreamPort, trustedProxies: parseTrustedProxies('') });
    const p = { ...proxy, host: '127.0.0.1' };
    const slow = call(p, '/slow');
    while (!release) await new Promise((r) => setTimeout(r, 10));
    const closing = proxy.close(30_000);
    await expect(call(p, '/later')).rejects.toThrow(/ECONNREFUSED/);
    release();
    expect((await slow).echo.url).toBe('/slow');
    await closing;
  });

  it('answers 502 JSON when the Worker is down', async () => {
    const down = createServer();
    await new Promise<void>((r) => down.listen(0, '127.0.0.1', r));
    const port = (down.address() as AddressInfo).port;
    await new Promise<void>((r) => down.close(() => r()));
    const proxy = await startFrontProxy({ host: '127.0.0.1', port: 0, upstreamPort: port, trustedProxies: parseTrustedProxies('') });
    try {
      const res = await fetch(`http://127.0.0.1:${proxy.port}/health`);
      expect(res.status).toBe(502);
      expect(await res.json()).toMatchObject({ success: false });
    } finally {
      await proxy.close(0);
    }
  });
});
