// The link and its durable event queue against a real WebSocket server playing the edge: events survive a
// killed bridge and an edge that goes away, are re-sent until acknowledged, and acknowledged ones never again.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { openBridgeDb } from './db.ts';
import { Link, type LinkOptions } from './link.ts';
import { EventQueue } from './event-queue.ts';

const dir = mkdtempSync(join(tmpdir(), 'sb-link-'));
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

interface FakeEdge {
  url: string;
  frames: any[];
  /** the size of every message received, in order */
  sizes: number[];
  autoAck: boolean;
  sockets: WebSocket[];
  /** refuse new links (a partition, with the old socket paused) */
  refuse: boolean;
  close(): Promise<void>;
}

async function fakeEdge(port = 0, token = 'tok'): Promise<FakeEdge> {
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port,
    verifyClient: (info: { req: { headers: { authorization?: string } } }) => !edge.refuse && info.req.headers.authorization === `Bearer ${token}`,
  } as never);
  await new Promise((r) => wss.once('listening', r));
  const edge: FakeEdge = {
    url: `ws://127.0.0.1:${(wss.address() as { port: number }).port}`,
    frames: [],
    sizes: [],
    autoAck: true,
    refuse: false,
    sockets: [],
    close: () =>
      new Promise((r) => {
        for (const s of wss.clients) s.terminate();
        wss.close(() => r());
      }),
  };
  wss.on('connection', (ws) => {
    edge.sockets.push(ws);
    ws.on('message', (data) => {
      if (data.toString() === 'ping') return void ws.send('pong'); // as the edge auto-answers
      edge.sizes.push(data.toString().length);
      const parsed = JSON.parse(data.toString());
      // a frame of several events is recorded as its events, as the edge does
      const frames = parsed.t === 'events' ? parsed.events : [parsed];
      edge.frames.push(...frames);
      if (parsed.t === 'hello') ws.send(JSON.stringify({ t: 'welcome', sessions: [] }));
      if (parsed.t === 'drain') setTimeout(() => ws.send(JSON.stringify({ t: 'drained', moved: 3, released: 1 })), 50);
      const ids = frames.filter((f: any) => f.t === 'event').map((f: any) => f.id);
      if (ids.length && edge.autoAck) ws.send(JSON.stringify({ t: 'ack', ids }));
    });
  });
  return edge;
}

function bridge(file: string, url: string, token = 'tok', more: Partial<LinkOptions> = {}) {
  const db = openBridgeDb(file);
  const events = new EventQueue(db);
  const link = new Link({
    url,
    token,
    bridgeId: 'b1',
    transport: 'sandbox',
    events,
    sessions: () => 0,
    onWelcome: () => {},
    onRequest: async () => ({ pong: true }),
    maxBackoffMs: 200,
    log: () => {},
    ...more,
  });
  link.start();
  return {
    db,
    events,
    link,
    stop: async () => {
      await link.stop();
      db.close();
    },
  };
}

const until = async (fn: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

it('keeps events until acknowledged, across a killed bridge and an edge restart; never re-sends acked ones', async () => {
  const file = join(dir, 'a.sqlite');
  let edge = await fakeEdge();
  const port = Number(new URL(edge.url).port);
  edge.autoAck = false;
  let b = bridge(file, edge.url);
  await until(() => b.link.connected);
  const status = b.events.add(1, { kind: 'status', status: 'connected', connectedNumber: '1@c.us' }, 1);
  await until(() => edge.frames.some((f) => f.id === status.id));
  // the bridge dies before the edge acknowledged
  b.link.stop();
  b.db.close();

  // the edge goes away too; the next bridge queues what happens meanwhile
  await edge.close();
  b = bridge(file, `ws://127.0.0.1:${port}`);
  const call = b.events.add(1, { kind: 'call', callId: 'C1', from: '15550000002', isVideo: false, timestamp: 1 }, 1);
  expect(b.events.size()).toBe(2);
  await new Promise((r) => setTimeout(r, 300));

  edge = await fakeEdge(port);
  await until(() => b.events.size() === 0);
  const events = edge.frames.filter((f) => f.t === 'event');
  expect(events.map((f) => f.id)).toEqual([status.id, call.id]);
  expect(edge.frames[0]).toEqual({ t: 'hello', bridgeId: 'b1', transport: 'sandbox', sessions: 0 });

  // reconnect again: nothing acknowledged is sent twice
  for (const s of edge.sockets) s.terminate();
  await until(() => edge.frames.filter((f) => f.t === 'hello').length === 2);
  await new Promise((r) => setTimeout(r, 100));
  expect(edge.frames.filter((f) => f.t === 'event')).toHaveLength(2);
  cleanup.push(
    () => b.stop(),
    () => edge.close(),
  );
});

it('answers requests and refuses a wrong token', async () => {
  const edge = await fakeEdge();
  const good = bridge(join(dir, 'b.sqlite'), edge.url);
  await until(() => good.link.connected);
  edge.sockets[0]!.send(JSON.stringify({ t: 'req', id: 'r1', clientRef: 1, epoch: 1, op: 'send', params: {} }));
  await until(() => edge.frames.some((f) => f.t === 'res'));
  expect(edge.frames.find((f) => f.t === 'res')).toEqual({ t: 'res', id: 'r1', ok: true, result: { pong: true } });
  const bad = bridge(join(dir, 'c.sqlite'), edge.url, 'wrong');
  await new Promise((r) => setTimeout(r, 300));
  expect(bad.link.connected).toBe(false);
  cleanup.push(
    () => good.stop(),
    () => bad.stop(),
    () => edge.close(),
    () => rmSync(dir, { recursive: true, force: true }),
  );
});

it('fences itself: with no word from the edge for fenceMs its sessions stop, once per silence', async () => {
  const edge = await fakeEdge();
  let fenced = 0;
  const b = bridge(join(dir, 'f.sqlite'), edge.url, 'tok', { fenceMs: 400, heartbeatMs: 100, onFence: () => void fenced++ });
  cleanup.push(
    () => b.stop(),
    () => edge.close(),
  );
  await until(() => b.link.connected);
  await new Promise((r) => setTimeout(r, 700));
  expect(fenced).toBe(0); // the edge answers its pings
  // a partition: the edge hears nothing and says nothing (its socket stops reading)
  edge.refuse = true;
  for (const s of edge.sockets) (s as unknown as { _socket: { pause(): void } })._socket.pause();
  await until(() => fenced === 1, 3000);
  // the partition heals: it links again and stays unfenced while it hears the edge
  edge.refuse = false;
  await until(() => edge.sockets.length >= 2 && b.link.connected, 5000);
  await new Promise((r) => setTimeout(r, 600));
  expect(fenced).toBe(1);
});

it('drains on request: asks the edge to hand its numbers over and answers what the edge did', async () => {
  const edge = await fakeEdge();
  const b = bridge(join(dir, 'd.sqlite'), edge.url);
  cleanup.push(
    () => b.stop(),
    () => edge.close(),
  );
  await until(() => b.link.connected);
  expect(await b.link.drain(2000)).toEqual({ t: 'drained', moved: 3, released: 1 });
  expect(edge.frames.some((f) => f.t === 'drain')).toBe(true);
  // no edge to ask: it says so at once rather than wait
  await edge.close();
  await until(() => !b.link.connected);
  expect(await b.link.drain(2000)).toBeNull();
});

it('splits a burst of events into frames by size as well as count (the edge refuses a frame over 8 MiB)', async () => {
  const edge = await fakeEdge();
  const b = bridge(join(dir, 's.sqlite'), edge.url);
  cleanup.push(
    () => b.stop(),
    () => edge.close(),
  );
  await until(() => b.link.connected);
  const big = (n: number) => ({ kind: 'auth' as const, entries: [0, 1, 2].map((i) => ({ type: 'key:session', id: `${n}.${i}`, value: 'x'.repeat(200_000) })) });
  const ids = [1, 2, 3, 4].map((n) => b.events.add(1, big(n), 1).id);
  await until(() => ids.every((id) => edge.frames.some((f) => f.id === id)));
  const eventFrames = edge.sizes.filter((size) => size > 100_000);
  expect(eventFrames.length).toBeGreaterThanOrEqual(3); // four ~600 KB events: never all in one frame
  expect(Math.max(...eventFrames)).toBeLessThan(2 * 1024 * 1024);
});

it('an ack the edge held (its send still being recorded) is offered again about a second later, not at the 30 s re-send', async () => {
  const edge = await fakeEdge();
  edge.autoAck = false;
  const b = bridge(join(dir, 'held.sqlite'), edge.url);
  cleanup.push(
    () => b.stop(),
    () => edge.close(),
  );
  await until(() => b.link.connected);
  const ack = b.events.add(1, { kind: 'ack', messageId: 'WA-1', to: '15550000001', ack: 1 }, 1);
  const other = b.events.add(1, { kind: 'ack', messageId: 'WA-2', to: '15550000001', ack: 1 }, 1);
  await until(() => edge.frames.filter((f) => f.t === 'event').length === 2);
  // the edge records the second and holds the first
  for (const s of edge.sockets) s.send(JSON.stringify({ t: 'ack', ids: [other.id], later: [ack.id] }));
  await until(() => edge.frames.filter((f) => f.id === ack.id).length === 2, 3000);
  expect(edge.frames.filter((f) => f.id === other.id)).toHaveLength(1);
  for (const s of edge.sockets) s.send(JSON.stringify({ t: 'ack', ids: [ack.id] }));
  await until(() => b.events.size() === 0);
});
