import { describe, expect, it } from 'vitest';
import { call, login, newUser } from '../../test/helpers.ts';

describe('dashboard sessions', () => {
  it('logs in with a hardened cookie and knows who you are', async () => {
    const u = await newUser();
    const res = await call('/auth/login', { body: { username: u.username, password: u.password } });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ success: true, username: u.username, role: 'user' });
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^sb_session=[0-9a-f]{64};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const me = await call('/auth/me', { cookie: cookie.split(';')[0] });
    expect(me.json).toEqual({ username: u.username, role: 'user' });
  });

  it('refuses a wrong password or unknown user with 401 and logs the attempt', async () => {
    const u = await newUser();
    const wrong = await call('/auth/login', { body: { username: u.username, password: 'not-the-password' } });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toEqual({ success: false, code: 'AUTH_ERROR', error: 'Invalid username or password' });
    const unknown = await call('/auth/login', { body: { username: 'nobody-here', password: 'whatever-pass' } });
    expect(unknown.status).toBe(401);
    const logs = await call('/api/logs?category=security', { key: u.apiKey });
    expect(logs.json.logs[0]).toMatchObject({ event: 'login_failed', category: 'security' });
  });

  it('blocks a login after 5 failures from one IP, but successes do not count', async () => {
    const u = await newUser();
    const ip = '203.0.113.77';
    for (let i = 0; i < 3; i++) expect((await call('/auth/login', { ip, body: { username: u.username, password: u.password } })).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await call('/auth/login', { ip, body: { username: u.username, password: 'bad-bad-bad' } })).status).toBe(401);
    const blocked = await call('/auth/login', { ip, body: { username: u.username, password: u.password } });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('counts parallel guesses: at most 5 are checked', async () => {
    const u = await newUser();
    const ip = '203.0.113.78';
    const results = await Promise.all(Array.from({ length: 12 }, () => call('/auth/login', { ip, body: { username: u.username, password: 'guess-guess' } })));
    expect(results.filter((r) => r.status === 401)).toHaveLength(5);
    expect(results.filter((r) => r.status === 429)).toHaveLength(7);
  });

  it('logout ends the session', async () => {
    const u = await newUser();
    const cookie = await login(u.username, u.password);
    expect((await call('/auth/logout', { method: 'POST', cookie })).status).toBe(200);
    const me = await call('/auth/me', { cookie });
    expect(me.status).toBe(401);
    expect(me.json.code).toBe('AUTH_ERROR');
  });

  it('refuses cross-site requests that carry the session cookie', async () => {
    const u = await newUser();
    const cookie = await login(u.username, u.password);
    const crossSite = await call('/auth/logout', { method: 'POST', cookie, headers: { 'sec-fetch-site': 'cross-site' } });
    expect(crossSite.status).toBe(403);
    const otherOrigin = await call('/auth/logout', { method: 'POST', cookie, headers: { origin: 'https://evil.example' } });
    expect(otherOrigin.status).toBe(403);
    expect((await call('/auth/me', { cookie })).status).toBe(200);
    const sameOrigin = await call('/auth/logout', { method: 'POST', cookie, headers: { origin: 'http://sb.test', 'sec-fetch-site': 'same-origin' } });
    expect(sameOrigin.status).toBe(200);
  });
});
