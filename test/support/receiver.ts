// A real local webhook receiver for tests and benchmarks, scriptable over HTTP so that tests running
// inside workerd can drive it too. Listens on 127.0.0.1 only.
//   POST /hook/<box>                the webhook URL: records the request, answers the box's script
//   PUT  /control/<box>             {responses: [{status, body?, headers?, delayMs?}], fallback?}
//   GET  /control/<box>             {received: [{headers, body, at}]}
import { createServer, type IncomingMessage, type Server } from 'node:http';

export interface ScriptedResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
}

export interface Received {
  headers: Record<string, string>;
  body: string;
  at: number;
}

interface Box {
  script: ScriptedResponse[];
  fallback: ScriptedResponse;
  received: Received[];
  waiters: (() => void)[];
}

export interface Receiver {
  url: string;
  box(name: string): Box;
  close(): Promise<void>;
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((res, rej) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res(Buffer.concat(chunks).toString('utf8')));
    req.on('error', rej);
  });

export async function startReceiver(port = 0): Promise<Receiver> {
  const boxes = new Map<string, Box>();
  const box = (name: string) => {
    let b = boxes.get(name);
    if (!b) {
      b = { script: [], fallback: { status: 200, body: { status: 'success' } }, received: [], waiters: [] };
      boxes.set(name, b);
    }
    return b;
  };
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://receiver');
    const [, kind, name = ''] = url.pathname.split('/');
    const body = await readBody(req);
    if (kind === 'hook' && req.method === 'POST') {
      const b = box(name);
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]));
      b.received.push({ headers, body, at: Date.now() });
      for (const w of b.waiters.splice(0)) w();
      const reply = b.script.shift() ?? b.fallback;
      if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
      res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
      res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
      return;
    }
    if (kind === 'control' && req.method === 'PUT') {
      const b = box(name);
      const cfg = JSON.parse(body || '{}') as { responses?: ScriptedResponse[]; fallback?: ScriptedResponse };
      b.script = cfg.responses ?? [];
      if (cfg.fallback) b.fallback = cfg.fallback;
      res.writeHead(204).end();
      return;
    }
    if (kind === 'control' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ received: box(name).received }));
      return;
    }
    res.writeHead(404).end();
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  const addr = server.address();
  const url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : port}`;
  return {
    url,
    box,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
