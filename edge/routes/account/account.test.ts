import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { addClient, call, login, newUser } from '../../test/helpers.ts';

describe('GET /api/profile', () => {
  it('shows username, role, account key and client count; not to client keys', async () => {
    const u = await newUser();
    const { clientKey } = await addClient(u.apiKey);
    const res = await call('/api/profile', { key: u.apiKey });
    expect(res.json).toEqual({ username: u.username, role: 'user', apiKey: u.apiKey, clientCount: 1, maxClients: 5 });
    expect((await call('/api/profile', { key: clientKey })).status).toBe(403);
  });
});

describe('POST /api/reset-api-key', () => {
  it('replaces the account key: the old one stops working at once', async () => {
    const u = await newUser();
    expect((await call('/api/profile', { key: u.apiKey })).status).toBe(200); // warm in this isolate's cache
    const res = await call('/api/reset-api-key', { body: { username: u.username, currentApiKey: u.apiKey } });
    expect(res.status).toBe(200);
    expect(res.json.message).toBe('API key reset successfully.');
    expect(res.json.newApiKey).not.toBe(u.apiKey);
    expect((await call('/api/profile', { key: u.apiKey })).status).toBe(401);
    const profile = await call('/api/profile', { key: res.json.newApiKey });
    expect(profile.json.apiKey).toBe(res.json.newApiKey);
    const logs = await call('/api/logs', { key: res.json.newApiKey });
    expect(logs.json.logs.map((l: any) => l.event)).toContain('key_reset');
  });

  it('concurrent resets with the same key leave exactly one valid key', async () => {
    const u = await newUser();
    const answers = await Promise.all(Array.from({ length: 5 }, () => call('/api/reset-api-key', { body: { username: u.username, currentApiKey: u.apiKey } })));
    const won = answers.filter((a) => a.status === 200);
    expect(won).toHaveLength(1);
    expect(answers.filter((a) => a.status === 401)).toHaveLength(4);
    const winner = won[0]!.json.newApiKey as string;
    expect((await call('/api/profile', { key: winner })).json.apiKey).toBe(winner);
    expect((await call('/api/profile', { key: u.apiKey })).status).toBe(401);
    const count = await env.DB.prepare('SELECT count(*) AS n FROM api_keys k JOIN users u ON u.id = k.user_id WHERE u.username = ? AND k.client_ref IS NULL')
      .bind(u.username)
      .first<{ n: number }>();
    expect(count?.n).toBe(1);
  });

  it('replaces a client key, which GET /api/clients then shows', async () => {
    const u = await newUser();
    const { clientKey } = await addClient(u.apiKey);
    const res = await call('/api/reset-api-key', { body: { username: u.username, currentApiKey: clientKey } });
    expect(res.status).toBe(200);
    expect(res.json.newApiKey).toMatch(/^sbc_/);
    expect((await call('/api/clients', { key: u.apiKey })).json[0].apiKey).toBe(res.json.newApiKey);
    expect((await call('/api/clients', { key: clientKey })).status).toBe(401);
  });

  it("refuses another user's key or a wrong key with 401, and limits to 5 per hour per IP", async () => {
    const u = await newUser();
    const other = await newUser();
    const ip = '203.0.113.9';
    expect((await call('/api/reset-api-key', { ip, body: { username: u.username, currentApiKey: other.apiKey } })).status).toBe(401);
    expect((await call('/api/reset-api-key', { ip, body: { username: u.username, currentApiKey: 'sba_nope_nope_nope_nope' } })).status).toBe(401);
    expect((await call('/api/reset-api-key', { ip, body: { username: u.username } })).status).toBe(400);
    for (let i = 0; i < 2; i++) await call('/api/reset-api-key', { ip, body: { username: u.username, currentApiKey: 'x' } });
    const limited = await call('/api/reset-api-key', { ip, body: { username: u.username, currentApiKey: u.apiKey } });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await call('/api/profile', { key: other.apiKey })).status).toBe(200);
    expect((await call('/api/profile', { key: u.apiKey })).status).toBe(200);
  });
});

describe('GET /api/logs', () => {
  it("lists your events newest first, paginated, and nobody else's", async () => {
    const u = await newUser();
    const other = await newUser();
    for (let i = 0; i < 3; i++) await addClient(u.apiKey, `log-${i}`);
    await addClient(other.apiKey, 'not-yours');
    const first = await call('/api/logs?limit=2&category=app', { key: u.apiKey });
    expect(first.status).toBe(200);
    expect(first.json.logs.map((l: any) => l.message)).toEqual([expect.stringContaining('log-2'), expect.stringContaining('log-1')]);
    expect(first.json.nextBefore).toBeTypeOf('number');
    const second = await call(`/api/logs?limit=2&category=app&before=${first.json.nextBefore}`, { key: u.apiKey });
    expect(second.json.logs.map((l: any) => l.message)).toEqual([expect.stringContaining('log-0')]);
    expect(second.json.nextBefore).toBeNull();
    expect(JSON.stringify([first.json, second.json])).not.toContain('not-yours');
    expect((await call('/api/logs?limit=0', { key: u.apiKey })).status).toBe(400);
    expect((await call('/api/logs?limit=abc', { key: u.apiKey })).status).toBe(400);
  });
});

describe('GET /api/usage', () => {
  it('counts calls per key, route and day', async () => {
    const u = await newUser();
    const { clientId, clientKey } = await addClient(u.apiKey);
    for (let i = 0; i < 3; i++) await call('/api/clients', { key: u.apiKey });
    await call('/api/clients', { key: clientKey });
    // usage is written after the response; ask until it shows (bounded)
    let usage: any[] = [];
    for (let i = 0; i < 20 && !usage.some((r) => r.key === `client:${clientId}`); i++) {
      usage = (await call('/api/usage', { key: u.apiKey })).json.usage;
    }
    const today = new Date().toISOString().slice(0, 10);
    expect(usage).toContainEqual({ day: today, key: 'account', method: 'GET', route: '/api/clients', count: 3 });
    expect(usage).toContainEqual({ day: today, key: `client:${clientId}`, method: 'GET', route: '/api/clients', count: 1 });
    expect(usage).toContainEqual({ day: today, key: 'account', method: 'POST', route: '/api/add-number', count: 1 });
  });

  it('counts every authenticated call: routes that take a key or a login, and calls made by login', async () => {
    const u = await newUser();
    const { clientId } = await addClient(u.apiKey);
    const cookie = await login(u.username, u.password);
    await call('/scheduled-messages', { key: u.apiKey });
    await call('/api/scheduled-messages', { key: u.apiKey });
    await call(`/api/chats/${clientId}`, { key: u.apiKey }); // answers 503 without a bridge: still an authenticated call
    await call('/scheduled-messages', { cookie });
    await call('/auth/me', { cookie });
    const today = new Date().toISOString().slice(0, 10);
    const want = [
      { day: today, key: 'account', method: 'GET', route: '/scheduled-messages', count: 1 },
      { day: today, key: 'account', method: 'GET', route: '/api/scheduled-messages', count: 1 },
      { day: today, key: 'account', method: 'GET', route: '/api/chats/:clientId', count: 1 },
      { day: today, key: 'session', method: 'GET', route: '/scheduled-messages', count: 1 },
      { day: today, key: 'session', method: 'GET', route: '/auth/me', count: 1 },
    ];
    let usage: any[] = [];
    for (let i = 0; i < 20 && !want.every((w) => usage.some((r) => r.route === w.route && r.key === w.key)); i++) {
      usage = (await call('/api/usage', { key: u.apiKey })).json.usage;
    }
    for (const w of want) expect(usage).toContainEqual(w);
  });
});
