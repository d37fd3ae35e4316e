// Resident memory of the real bridge process per idle (paired, connected) sandbox session, at 1, 100
// and 1,000 sessions. The bridge links to a minimal WebSocket edge that hands it N sessions, two ways:
// `local` — the auth state is on the bridge's disk already (a reconnect: the welcome names the leases);
// `granted` — the bridge has nothing and each lease arrives as an `assign` carrying the auth state the
// edge keeps (a failover: here a Baileys-sized state of 60 sealed entries, ~90 KB, per number). Read
// after the bridge ran a full collection (SIGUSR2 with --expose-gc): resident memory and live heap.
// The target: sessions resumed from the edge's copy hold no more live memory than sessions from local state.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { openBridgeDb } from '../bridge/db.ts';
import { ROOT } from '../scripts/system.ts';
import { round } from './load.ts';

const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

/** A Baileys-sized auth state for one number: creds and signal keys, sealed values of ~1.5 KB. */
const grantedAuth = (i: number) => [
  { type: 'sandbox', id: 'pairing', value: String(15550000000 + i) },
  { type: 'creds', id: '', value: `v1:${'c'.repeat(2000)}` },
  ...Array.from({ length: 58 }, (_, k) => ({ type: k < 30 ? 'key:pre-key' : 'key:session', id: `${i}.${k}`, value: `v1:${'k'.repeat(1500)}` })),
];

async function measure(sessions: number, mode: 'local' | 'granted'): Promise<{ rssBytes: number; heapBytes: number; connected: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-mem-'));
  const db = openBridgeDb(join(dir, 'bridge-mem.sqlite'));
  const pair = db.prepare('INSERT INTO sandbox_pairings (client_ref, number) VALUES (?, ?)');
  if (mode === 'local') for (let i = 1; i <= sessions; i++) pair.run(i, String(15550000000 + i));
  db.close();
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  let connected = 0;
  const spec = (i: number) => ({ clientRef: i, clientId: `c${i}`, phoneNumber: String(15550000000 + i), epoch: 1 });
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      if (data.toString() === 'ping') return void ws.send('pong'); // as the edge auto-answers
      const frame = JSON.parse(data.toString());
      if (frame.t === 'hello') {
        const all = Array.from({ length: sessions }, (_, i) => spec(i + 1));
        ws.send(JSON.stringify({ t: 'welcome', sessions: mode === 'local' ? all : [] }));
        if (mode === 'granted')
          for (const s of all)
            ws.send(
              JSON.stringify({
                t: 'req',
                id: `a${s.clientRef}`,
                clientRef: s.clientRef,
                epoch: 1,
                op: 'assign',
                params: { ...s, auth: grantedAuth(s.clientRef) },
              }),
            );
      } else if (frame.t === 'event' || frame.t === 'events') {
        const events: { id: string; event: { kind: string; status?: string } }[] = frame.t === 'events' ? frame.events : [frame];
        for (const e of events) if (e.event.kind === 'status' && e.event.status === 'connected') connected++;
        ws.send(JSON.stringify({ t: 'ack', ids: events.map((e) => e.id) }));
      }
    });
  });
  const port = (wss.address() as { port: number }).port;
  const child = spawn(process.execPath, ['--expose-gc', join(ROOT, 'bridge/index.ts')], {
    env: { ...process.env, EDGE_URL: `http://127.0.0.1:${port}`, BRIDGE_TOKEN: 'x', STATE_DIR: dir, BRIDGE_ID: 'mem', WA_TRANSPORT: 'sandbox' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
  });
  try {
    const deadline = Date.now() + 90_000;
    while (connected < sessions && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 3000)); // idle
    // a full collection in the bridge (SIGUSR2 with --expose-gc), then its resident memory and live heap
    child.kill('SIGUSR2');
    let figures: { memory: NodeJS.MemoryUsage } | undefined;
    for (let i = 0; i < 100 && !figures; i++) {
      await new Promise((r) => setTimeout(r, 50));
      const line = out.split('\n').find((l) => l.startsWith('{"memory"'));
      if (line) figures = JSON.parse(line);
    }
    await new Promise((r) => setTimeout(r, 1000));
    return { rssBytes: rssOf(child.pid!), heapBytes: figures?.memory.heapUsed ?? Number.NaN, connected };
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => wss.close(() => r(undefined)));
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchBridgeMemory() {
  const base = await measure(0, 'local');
  const rows = [];
  for (const mode of ['local', 'granted'] as const) {
    for (const n of [1, 100, 1000]) {
      const m = await measure(n, mode);
      rows.push({
        mode,
        sessions: n,
        connected: m.connected,
        rssMB: round(m.rssBytes / 1048576, 1),
        perSessionKB: round((m.rssBytes - base.rssBytes) / n / 1024, 1),
        heapPerSessionKB: round((m.heapBytes - base.heapBytes) / n / 1024, 1),
      });
    }
  }
  const local = rows.find((r) => r.mode === 'local' && r.sessions === 1000)!;
  const granted = rows.find((r) => r.mode === 'granted' && r.sessions === 1000)!;
  return {
    benchmark: 'bridge resident memory per idle sandbox session, auth state on disk vs granted from the edge',
    baselineRssMB: round(base.rssBytes / 1048576, 1),
    baselineHeapMB: round(base.heapBytes / 1048576, 1),
    rows,
    target: '<= 2 MB (2048 KB) resident per idle sandbox session; sessions granted with the edge-kept auth state hold no more live heap than local ones (+10%)',
    met:
      local.perSessionKB <= 2048 &&
      local.connected === 1000 &&
      granted.connected === 1000 &&
      granted.heapPerSessionKB <= Math.max(local.heapPerSessionKB * 1.1, local.heapPerSessionKB + 1),
  };
}
