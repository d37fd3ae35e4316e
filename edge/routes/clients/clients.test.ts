import { describe, expect, it } from 'vitest';
import { addClient, call, login, newUser } from '../../test/helpers.ts';

describe('POST /api/add-number', () => {
  it('creates a pending client with its own key', async () => {
    const u = await newUser();
    const res = await call('/api/add-number', { key: u.apiKey, body: { clientId: 'shop-1', phoneNumber: '+12345678901' } });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ status: 'pending_auth', qrCode: null });
    expect(res.json.apiKey).toMatch(/^sbc_[0-9a-f]{40}$/);
    const list = await call('/api/clients', { key: u.apiKey });
    expect(list.json).toEqual([
      {
        clientId: 'shop-1',
        phoneNumber: '12345678901',
        apiKey: res.json.apiKey,
        connectedNumber: 'Not Connected',
        status: 'Pending Authentication',
        webhookUrl: null,
        webhookSecret: null,
      },
    ]);
  });

  it('answers 400 for a malformed clientId or phone number', async () => {
    const u = await newUser();
    for (const body of [
      { clientId: 'bad id!', phoneNumber: '12345678901' },
      { clientId: '', phoneNumber: '12345678901' },
      { clientId: 'ok', phoneNumber: '12-34' },
      { clientId: 'ok', phoneNumber: 'abcdefghij' },
      { clientId: 'ok' },
      { clientId: 'ok', phoneNumber: 12345678901 },
    ]) {
      const res = await call('/api/add-number', { key: u.apiKey, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.code).toBe('VALIDATION_ERROR');
    }
    expect((await call('/api/clients', { key: u.apiKey })).json).toEqual([]);
  });

  it('answers 409 for a clientId you already have, but another user may use the same id', async () => {
    const a = await newUser();
    const b = await newUser();
    await addClient(a.apiKey, 'same-id');
    const dup = await call('/api/add-number', { key: a.apiKey, body: { clientId: 'same-id', phoneNumber: '12345678901' } });
    expect(dup.status).toBe(409);
    expect((await call('/api/add-number', { key: b.apiKey, body: { clientId: 'same-id', phoneNumber: '12345678901' } })).status).toBe(200);
  });

  it('enforces the plan limit with 403 PLAN_LIMIT_EXCEEDED', async () => {
    const u = await newUser({ maxClients: 2 });
    await addClient(u.apiKey);
    await addClient(u.apiKey);
    const third = await call('/api/add-number', { key: u.apiKey, body: { clientId: 'third', phoneNumber: '12345678901' } });
    expect(third.status).toBe(403);
    expect(third.json.code).toBe('PLAN_LIMIT_EXCEEDED');
    expect((await call('/api/profile', { key: u.apiKey })).json.clientCount).toBe(2);
  });

  it('holds the plan limit under parallel adds', async () => {
    const u = await newUser({ maxClients: 3 });
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => call('/api/add-number', { key: u.apiKey, body: { clientId: `p${i}`, phoneNumber: '12345678901' } })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(3);
    expect(results.filter((r) => r.status === 403).every((r) => r.json.code === 'PLAN_LIMIT_EXCEEDED')).toBe(true);
    expect((await call('/api/clients', { key: u.apiKey })).json).toHaveLength(3);
  });

  it('refuses a client key (403) and a missing or wrong key (401)', async () => {
    const u = await newUser();
    const { clientKey } = await addClient(u.apiKey);
    expect((await call('/api/add-number', { key: clientKey, body: { clientId: 'x', phoneNumber: '12345678901' } })).status).toBe(403);
    expect((await call('/api/add-number', { body: { clientId: 'x', phoneNumber: '12345678901' } })).status).toBe(401);
    const wrong = await call('/api/add-number', { key: 'sba_0000000000000000000000000000000000000000', body: { clientId: 'x', phoneNumber: '12345678901' } });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toEqual({ success: false, code: 'AUTH_ERROR', error: 'Invalid API key' });
  });
});

describe('GET /api/clients', () => {
  it('shows only your clients; a client key sees only its own', async () => {
    const a = await newUser();
    const b = await newUser();
    const one = await addClient(a.apiKey, 'one');
    await addClient(a.apiKey, 'two');
    await addClient(b.apiKey, 'theirs');
    expect((await call('/api/clients', { key: a.apiKey })).json.map((c: any) => c.clientId)).toEqual(['one', 'two']);
    const own = await call('/api/clients', { key: one.clientKey });
    expect(own.json).toHaveLength(1);
    expect(own.json[0]).toMatchObject({ clientId: 'one', apiKey: one.clientKey });
  });
});

describe('DELETE /clients/{clientId}', () => {
  it('deletes with the session and the right password; the client key dies with it', async () => {
    const u = await newUser();
    const { clientId, clientKey } = await addClient(u.apiKey);
    expect((await call('/api/clients', { key: clientKey })).status).toBe(200); // the key is now warm in this isolate's cache
    const cookie = await login(u.username, u.password);
    const res = await call(`/clients/${clientId}`, { method: 'DELETE', cookie, body: { password: u.password } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ message: 'Client deleted successfully.' });
    expect((await call('/api/clients', { key: u.apiKey })).json).toEqual([]);
    expect((await call('/api/clients', { key: clientKey })).status).toBe(401);
  });

  it("answers the spec's 400, 403 and 404, and 401 for an API key", async () => {
    const u = await newUser();
    const other = await newUser();
    const { clientId } = await addClient(u.apiKey);
    const theirs = await addClient(other.apiKey);
    const cookie = await login(u.username, u.password);
    const del = (id: string, body: unknown, extra: { cookie?: string; key?: string } = { cookie }) =>
      call(`/clients/${id}`, { method: 'DELETE', body, ...extra });
    const missing = await del(clientId, {});
    expect(missing.status).toBe(400);
    expect(missing.json.error).toMatch(/Password is required/);
    const wrong = await del(clientId, { password: 'wrong-password' });
    expect(wrong.status).toBe(403);
    expect(wrong.json).toMatchObject({ code: 'ACCESS_DENIED', error: 'Invalid password' });
    expect((await del('no-such-client', { password: u.password })).json.code).toBe('CLIENT_NOT_FOUND');
    const foreign = await del(theirs.clientId, { password: u.password });
    expect(foreign.status).toBe(404);
    expect((await del(clientId, { password: u.password }, { key: u.apiKey })).status).toBe(401);
    expect((await call('/api/clients', { key: other.apiKey })).json).toHaveLength(1);
    expect((await call('/api/clients', { key: u.apiKey })).json).toHaveLength(1);
  });

  it('is limited to 5 attempts per hour per IP (429)', async () => {
    const u = await newUser();
    const { clientId } = await addClient(u.apiKey);
    const cookie = await login(u.username, u.password);
    const ip = '192.0.2.55';
    for (let i = 0; i < 5; i++) {
      expect((await call(`/clients/${clientId}`, { method: 'DELETE', ip, cookie, body: { password: 'wrong-pass' } })).status).toBe(403);
    }
    const limited = await call(`/clients/${clientId}`, { method: 'DELETE', ip, cookie, body: { password: u.password } });
    expect(limited.status).toBe(429);
    expect(limited.json.code).toBe('RATE_LIMITED');
    expect((await call('/api/clients', { key: u.apiKey })).json).toHaveLength(1);
  });
});

describe('POST /api/update-webhook', () => {
  it("refuses a plain http URL: every delivery carries the client's API key", async () => {
    const u = await newUser();
    const { clientId } = await addClient(u.apiKey);
    const res = await call('/api/update-webhook', { key: u.apiKey, body: { clientId, webhookUrl: 'http://hooks.example.com/in' } });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ code: 'INVALID_WEBHOOK_URL', error: expect.stringMatching(/https/) });
    expect((await call('/api/clients', { key: u.apiKey })).json[0].webhookUrl).toBeNull();
  });

  it('saves a public URL and answers a stable whsec_ signing secret', async () => {
    const u = await newUser();
    const { clientId, clientKey } = await addClient(u.apiKey);
    const first = await call('/api/update-webhook', { key: clientKey, body: { clientId, webhookUrl: 'https://hooks.example.com/in' } });
    expect(first.status).toBe(200);
    expect(first.json).toMatchObject({ success: true, clientId, webhookUrl: 'https://hooks.example.com/in' });
    expect(first.json.webhookSecret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const second = await call('/api/update-webhook', { key: u.apiKey, body: { clientId, webhookUrl: 'https://other.example.org/hook' } });
    expect(second.json.webhookSecret).toBe(first.json.webhookSecret);
    const rotated = await call('/api/update-webhook', { key: u.apiKey, body: { clientId, webhookUrl: 'https://other.example.org/hook', rotateSecret: true } });
    expect(rotated.json.webhookSecret).not.toBe(first.json.webhookSecret);
    expect((await call('/api/clients', { key: u.apiKey })).json[0].webhookUrl).toBe('https://other.example.org/hook');
    const cleared = await call('/api/update-webhook', { key: u.apiKey, body: { clientId, webhookUrl: null } });
    expect(cleared.json.webhookUrl).toBeNull();
  });

  it('refuses private, credentialed and non-http URLs with 400 and keeps the old one', async () => {
    const u = await newUser();
    const { clientId } = await addClient(u.apiKey);
    await call('/api/update-webhook', { key: u.apiKey, body: { clientId, webhookUrl: 'https://hooks.example.com/in' } });
    for (const webhookUrl of [
      'http://127.0.0.1/hook',
      'http://localhost:8080/',
      'https://user:pw@hooks.example.com/',
      'ftp://hooks.example.com/',
      'http://[::1]/',
      'http://10.0.0.5/',
      'not a url',
    ]) {
      const res = await call('/api/update-webhook', { key: u.apiKey, body: { clientId, webhookUrl } });
      expect(res.status, webhookUrl).toBe(400);
      expect(res.json.code).toBe('INVALID_WEBHOOK_URL');
    }
    expect((await call('/api/clients', { key: u.apiKey })).json[0].webhookUrl).toBe('https://hooks.example.com/in');
  });
});

describe("another user's client is a 404 on every client-scoped route", () => {
  it('for keys of the account and of other clients', async () => {
    const owner = await newUser();
    const stranger = await newUser();
    const target = await addClient(owner.apiKey);
    const mine = await addClient(stranger.apiKey);
    const sibling = await addClient(owner.apiKey);
    const cookie = await login(stranger.username, stranger.password);
    const attempts = [
      { key: stranger.apiKey, path: '/api/update-webhook', body: { clientId: target.clientId, webhookUrl: 'https://a.example.com/' } },
      { key: mine.clientKey, path: '/api/update-webhook', body: { clientId: target.clientId, webhookUrl: 'https://a.example.com/' } },
      { key: sibling.clientKey, path: '/api/update-webhook', body: { clientId: target.clientId, webhookUrl: 'https://a.example.com/' } },
      { cookie, path: `/clients/${target.clientId}`, method: 'DELETE', body: { password: stranger.password } },
    ];
    for (const a of attempts) {
      const res = await call(a.path, a);
      expect(res.status, JSON.stringify(a)).toBe(404);
      expect(res.json).toEqual({ success: false, code: 'CLIENT_NOT_FOUND', error: 'Client not found' });
    }
  });
});
