// The start-up contract, end to end: the serving runtime (deploy bundle on workerd), persisted D1 and Durable Objects, the typed client.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSwitchboardClient } from '../../openapi/client/index.ts';
import { freePort, startSystem, type RunningSystem } from '../../scripts/system.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'sb-e2e-'));
const adminKey = 'sba_e2e_admin_key_with_enough_length';
let running: RunningSystem | undefined;

afterAll(async () => {
  await running?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('npm start (startSystem)', () => {
  it('starts fresh, creates the admin from the variables, keeps data across a restart', async () => {
    const port = await freePort();
    const env = { ...process.env, ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'root-password-1', ADMIN_API_KEY: adminKey };
    running = await startSystem({ port, stateDir, env });
    expect(running.url).toBe(`http://127.0.0.1:${port}`);
    expect(running.admin).toMatchObject({ username: 'root', created: true, apiKey: adminKey });
    expect(await (await fetch(`${running.url}/health`)).json()).toEqual({ status: 'ok', bridge: 'connected' });

    const sb = createSwitchboardClient({ baseUrl: running.url, apiKey: adminKey });
    const added = await sb.POST('/api/add-number', { body: { clientId: 'persisted', phoneNumber: '12345678901' } });
    expect(added.response.status).toBe(200);
    expect(added.data?.status).toBe('pending_auth');
    const bad = await sb.POST('/api/add-number', { body: { clientId: 'bad id', phoneNumber: '1' } });
    expect(bad.response.status).toBe(400);
    expect(bad.error).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });

    await running.stop();
    running = await startSystem({
      port,
      stateDir,
      env: { ...env, ADMIN_PASSWORD: 'ignored-now', ADMIN_API_KEY: 'sba_ignored_now_0000000000', RATE_LIMITS: '{"api":{"limit":1000,"windowSec":60}}' },
    });
    expect(running.admin).toEqual({ username: 'root', created: false });
    const again = createSwitchboardClient({ baseUrl: running.url, apiKey: adminKey });
    const clients = await again.GET('/api/clients');
    expect(clients.data?.map((c) => c.clientId)).toEqual(['persisted']);
    expect(clients.data?.[0]?.apiKey).toBe(added.data?.apiKey);
    expect(clients.response.headers.get('ratelimit-policy')).toBe('1000;w=60');
    const login = await fetch(`${running.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'root', password: 'root-password-1' }),
    });
    expect(login.status).toBe(200);
    const docs = await fetch(`${running.url}/docs/vendor/scalar-standalone.js`);
    expect(docs.status).toBe(200);
    expect(Number(docs.headers.get('content-length') ?? (await docs.arrayBuffer()).byteLength)).toBeGreaterThan(100_000);
  });
});
