// State written under `wrangler dev --persist-to <STATE_DIR>/wrangler` (how npm start ran before the
// serving runtime, and how npm run dev runs) stays readable by npm start: D1 rows and Durable Object
// storage (here the rate limiter's window) carry over.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, type RunningSystem, startSystem } from '../../scripts/system.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'sb-compat-'));
let running: RunningSystem | undefined;

afterAll(async () => {
  await running?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

const env = {
  ...process.env,
  ADMIN_USERNAME: 'root',
  ADMIN_API_KEY: 'sba_state_compat_admin_key_000',
  RATE_LIMITS: '{"sensitive":{"limit":3,"windowSec":3600}}',
};

const login = async (system: RunningSystem, username: string, password: string) => {
  const res = await fetch(`${system.url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  await res.arrayBuffer();
  return res.status;
};

describe('state from wrangler dev', () => {
  it('is read by the serving runtime: D1 rows and Durable Object storage', async () => {
    const port = await freePort();
    running = await startSystem({ dev: true, port, stateDir, env, bridge: false });
    const created = await fetch(`${running.url}/api/admin/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': env.ADMIN_API_KEY },
      body: JSON.stringify({ username: 'carried', password: 'carried-over-password' }),
    });
    expect(created.status).toBe(201);
    expect([await login(running, 'carried', 'wrong-1'), await login(running, 'carried', 'wrong-2')]).toEqual([401, 401]);
    await running.stop();
    running = undefined;

    running = await startSystem({ port, stateDir, env, bridge: false });
    expect(running.admin).toEqual({ username: 'root', created: false });
    expect(await login(running, 'carried', 'carried-over-password')).toBe(200);
    expect([await login(running, 'carried', 'wrong-3'), await login(running, 'carried', 'wrong-4')]).toEqual([401, 429]);
  });
});
