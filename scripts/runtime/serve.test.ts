// The serving runtime with the real Worker (the deploy bundle): its cron tick runs the scheduled
// handler, its state lands where `wrangler dev --persist-to <STATE_DIR>/wrangler` keeps it, and
// workerd itself serves no development endpoints.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../system.ts';
import { type Runtime, startRuntime } from './serve.ts';
import { parseTrustedProxies } from './trusted-proxies.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'sb-serve-'));
const token = 'serve-test-internal-token-0123456789';
const lines: string[] = [];
let runtime: Runtime;

beforeAll(async () => {
  runtime = await startRuntime({
    projectDir: ROOT,
    stateDir,
    host: '127.0.0.1',
    port: 0,
    bindings: { SEAL_KEY: Buffer.alloc(32, 7).toString('base64'), INTERNAL_TOKEN: token, WA_TRANSPORT: 'sandbox' },
    allowPrivateOutbound: false,
    trustedProxies: parseTrustedProxies('127.0.0.1'), // as if a TLS proxy on this host forwarded every request
    cron: false,
    env: { ...process.env, CI: 'true', WRANGLER_SEND_METRICS: 'false' },
    log: (l) => lines.push(l),
  });
  const boot = await fetch(`${runtime.url}/internal/bootstrap`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'serve-test-password', apiKey: `sba_${'a'.repeat(40)}` }),
  });
  expect(boot.status).toBe(200);
});

afterAll(async () => {
  await runtime?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

const login = async (headers: Record<string, string> = {}) => {
  const res = await fetch(`${runtime.url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ username: 'admin', password: 'serve-test-password' }),
  });
  expect(res.status).toBe(200);
  return res.headers.get('set-cookie') ?? '';
};

describe('serving runtime', () => {
  it("tick() runs the Worker's scheduled handler: expired logins are purged, live ones stay", async () => {
    await login();
    await login();
    const db = await runtime.miniflare.getD1Database('DB');
    const count = async () => (await db.prepare('SELECT count(*) AS n FROM sessions').first<{ n: number }>())?.n;
    expect(await count()).toBe(2);
    await db.prepare('UPDATE sessions SET expires_at = 0 WHERE rowid = (SELECT min(rowid) FROM sessions)').run();
    await runtime.tick();
    expect(await count()).toBe(1);
  });

  it('keeps D1 and Durable Object state where wrangler dev --persist-to <STATE_DIR>/wrangler keeps it', async () => {
    const v3 = join(stateDir, 'wrangler', 'v3');
    expect(readdirSync(join(v3, 'd1', 'miniflare-D1DatabaseObject')).some((f) => f.endsWith('.sqlite'))).toBe(true);
    expect(existsSync(join(v3, 'do', 'switchboard-RateLimiter'))).toBe(true); // the logins above went through the limiter
  });

  it('behind a trusted TLS proxy, the Worker sees https (Secure cookies) when the proxy says so', async () => {
    expect(await login({ 'X-Forwarded-Proto': 'https' })).toMatch(/;\s*Secure/i);
    expect(await login()).not.toMatch(/;\s*Secure/i);
  });

  it('workerd itself serves no trigger or explorer endpoints', async () => {
    for (const path of ['/cdn-cgi/local/scheduled', '/cdn-cgi/handler/scheduled', '/cdn-cgi/local/explorer/api/d1/databases', '/cdn-cgi/local/email']) {
      const res = await fetch(`${runtime.internalUrl}${path}`, { method: 'POST' });
      expect(res.status, path).toBe(404);
      expect(await res.json()).toMatchObject({ success: false, code: 'NOT_FOUND' });
    }
  });
});
