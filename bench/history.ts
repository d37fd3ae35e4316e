// History reads as tables grow: the same four reads (sent messages, received messages, the chat list,
// one chat's messages) timed against a client with 10,000 and with 1,000,000 stored messages. The rows
// are written straight into the local D1 (wrangler d1 execute on the same state) between two starts;
// the figure is the p50 ratio big/small (target ≤ 1.5).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ROOT, startSystem } from '../scripts/system.ts';
import { round, runLoad } from './load.ts';

const CHATS = 1000;

/** Half sent, half received, over CHATS private chats; then their summaries, as the Worker writes them. */
const fillSql = (rows: number) => `
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows / 2})
INSERT INTO received_messages (client_ref, message_id, sender, chat_id, message, type, has_media, received_at)
SELECT c.id, 'R' || i, 15550000000 + (i % ${CHATS}), (15550000000 + (i % ${CHATS})) || '@c.us', 'inbound ' || i, 'chat', 0, 1700000000000 + i * 2
FROM n, clients c WHERE c.client_id = 'hist';
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows / 2})
INSERT INTO sent_messages (user_id, client_ref, message_id, recipient, message, status, sent_at)
SELECT c.user_id, c.id, 'S' || i, 15550000000 + (i % ${CHATS}), 'outbound ' || i, 'delivered', 1700000000001 + i * 2
FROM n, clients c WHERE c.client_id = 'hist';
INSERT INTO chat_state (client_ref, chat_id, last_body, last_at, last_from_me)
SELECT client_ref, chat_id, 'last', max(received_at), 0 FROM received_messages GROUP BY client_ref, chat_id
ON CONFLICT (client_ref, chat_id) DO UPDATE SET last_body = excluded.last_body, last_at = excluded.last_at, last_from_me = excluded.last_from_me;`;

async function measureAt(rows: number, requests: number) {
  const stateDir = mkdtempSync(join(tmpdir(), 'sb-bench-history-'));
  const env = { ...process.env, RATE_LIMITS: JSON.stringify({ api: { limit: 10_000_000, windowSec: 60 } }) };
  const port = await freePort();
  try {
    let system = await startSystem({ port, stateDir, env, bridge: false });
    const key = system.admin.apiKey!;
    await fetch(`${system.url}/api/add-number`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ clientId: 'hist', phoneNumber: '12345678900' }),
    });
    await system.stop();
    const fill = spawnSync(
      process.execPath,
      [
        join(ROOT, 'node_modules/wrangler/bin/wrangler.js'),
        'd1',
        'execute',
        'DB',
        '--local',
        '--persist-to',
        join(stateDir, 'wrangler'),
        '--command',
        fillSql(rows),
      ],
      { cwd: ROOT, encoding: 'utf8', env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' } },
    );
    if (fill.status !== 0) throw new Error(`filling D1 failed:\n${fill.stdout}\n${fill.stderr}`);
    system = await startSystem({ port, stateDir, env, bridge: false });
    const get = (path: string) => async () => (await fetch(`${system.url}${path}`, { headers: { 'x-api-key': key } })).ok;
    const reads: Record<string, () => Promise<boolean>> = {
      sentMessages: get('/api/sent-messages'),
      receivedMessages: get('/api/received-messages/hist'),
      chats: get('/api/chats/hist'),
      chatMessages: get('/api/chats/hist/15550000007@c.us/messages?limit=50'),
    };
    const out: Record<string, { p50ms: number; p99ms: number; errors: number }> = {};
    for (const [name, read] of Object.entries(reads)) {
      await runLoad(20, 4, read); // warm
      const r = await runLoad(requests, 4, read);
      out[name] = { p50ms: r.p50ms, p99ms: r.p99ms, errors: r.errors };
    }
    await system.stop();
    return out;
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

export async function benchHistory(opts: { small?: number; big?: number; requests?: number } = {}) {
  const small = opts.small ?? 10_000;
  const big = opts.big ?? 1_000_000;
  const requests = opts.requests ?? 200;
  const a = await measureAt(small, requests);
  const b = await measureAt(big, requests);
  const ratios = Object.fromEntries(Object.keys(a).map((k) => [k, round(b[k]!.p50ms / a[k]!.p50ms, 2)]));
  return {
    benchmark: `history reads with ${small} vs ${big} stored messages (${CHATS} chats), p50 over ${requests} requests, 4 callers`,
    [`rows${small}`]: a,
    [`rows${big}`]: b,
    p50Ratio: ratios,
    target: 'every p50 ratio <= 1.5',
    met: Object.values(ratios).every((r) => r <= 1.5),
  };
}
