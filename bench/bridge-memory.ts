// Resident memory of the real bridge process per idle (paired, connected) sandbox session, at 1, 100
// and 1,000 sessions. The bridge links to a minimal WebSocket edge that hands it N sessions.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { openBridgeDb } from '../bridge/db.ts';
import { ROOT } from '../scripts/system.ts';
import { round } from './load.ts';

const rssOf = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;

async function measure(sessions: number): Promise<{ rssBytes: number; connected: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-mem-'));
  const db = openBridgeDb(join(dir, 'bridge-mem.sqlite'));
  const pair = db.prepare('INSERT INTO sandbox_pairings (client_ref, number) VALUES (?, ?)');
  for (let i = 1; i <= sessions; i++) pair.run(i, String(15550000000 + i));
  db.close();
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  let connected = 0;
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      if (data.toString() === 'ping') return void ws.send('pong'); // as the edge auto-answers
      const frame = JSON.parse(data.toString());
      if (frame.t === 'hello') {
        const specs = Array.from({ length: sessions }, (_, i) => ({ clientRef: i + 1, clientId: `c${i + 1}`, phoneNumber: String(15550000000 + i + 1) }));
        ws.send(JSON.stringify({ t: 'welcome', sessions: specs }));
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
    stdio: 'ignore',
  });
  try {
    const deadline = Date.now() + 60_000;
    while (connected < sessions && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 3000)); // idle: let startup garbage be collected
    return { rssBytes: rssOf(child.pid!), connected };
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => wss.close(() => r(undefined)));
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchBridgeMemory() {
  const base = await measure(0);
  const rows = [];
  for (const n of [1, 100, 1000]) {
    const m = await measure(n);
    rows.push({ sessions: n, connected: m.connected, rssMB: round(m.rssBytes / 1048576, 1), perSessionKB: round((m.rssBytes - base.rssBytes) / n / 1024, 1) });
  }
  const at1000 = rows.at(-1)!;
  return {
    benchmark: 'bridge resident memory per idle sandbox session',
    baselineRssMB: round(base.rssBytes / 1048576, 1),
    rows,
    target: '<= 2 MB (2048 KB) per idle sandbox session',
    met: at1000.perSessionKB <= 2048 && at1000.connected === 1000,
  };
}
