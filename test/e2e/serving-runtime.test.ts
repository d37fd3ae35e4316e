// What `npm start` serves on its public port is the app and nothing else: no development endpoints,
// and a client cannot choose the address the rate limiter counts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type RunningSystem, startSystem } from '../../scripts/system.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'sb-serving-'));
let system: RunningSystem;

beforeAll(async () => {
  system = await startSystem({
    port: await freePort(),
    stateDir,
    bridge: false,
    env: { ...process.env, ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'serving-runtime-pw', RATE_LIMITS: '{"sensitive":{"limit":3,"windowSec":3600}}' },
  });
});

afterAll(async () => {
  await system?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('the serving runtime behind npm start', () => {
  it.each([
    '/cdn-cgi/handler/scheduled?cron=*+*+*+*+*',
    '/cdn-cgi/local/scheduled?cron=*+*+*+*+*',
    '/cdn-cgi/explorer/api/d1/databases',
    '/cdn-cgi/local/explorer/api/d1/databases',
    '/cdn-cgi/local/explorer',
    '/cdn-cgi/local/email',
  ])('answers %s (GET and POST) with the app’s JSON 404', async (path) => {
    for (const method of ['GET', 'POST']) {
      const res = await fetch(`${system.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: method === 'POST' ? JSON.stringify({ sql: 'SELECT * FROM users' }) : undefined,
      });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.headers.get('content-type')).toContain('application/json');
      expect(await res.json()).toMatchObject({ success: false, code: 'NOT_FOUND' });
    }
  });

  it("refuses Miniflare's platform proxy even with its headers", async () => {
    const res = await fetch(`${system.url}/cdn-cgi/local/platform-proxy`, {
      method: 'POST',
      headers: { 'MF-Op': 'GET', 'MF-Op-Target': 'DB', 'MF-Op-Secret': '00' },
      body: '[]',
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('counts failed logins per real client however the caller spoofs its address', async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= 4; i++) {
      const res = await fetch(`${system.url}/auth/login`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'CF-Connecting-IP': `203.0.113.${i}`,
          'X-Forwarded-For': `198.51.100.${i}`,
          'X-Real-IP': `192.0.2.${i}`,
          'True-Client-IP': `192.0.2.${100 + i}`,
          Forwarded: `for=192.0.2.${200 + i}`,
        },
        body: JSON.stringify({ username: 'root', password: `wrong-${i}` }),
      });
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
  });
});
