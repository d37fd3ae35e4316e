import { describe, expect, it } from 'vitest';
import { addClient, bootstrapAdmin, call, newUser } from '../../test/helpers.ts';

describe('POST /api/admin/users', () => {
  it('lets the admin create a user who can then use the API', async () => {
    const admin = await bootstrapAdmin();
    const res = await call('/api/admin/users', { key: admin, body: { username: 'carol', password: 'carol-password', maxClients: 2 } });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({ username: 'carol', role: 'user', maxClients: 2 });
    expect(res.json.apiKey).toMatch(/^sba_[0-9a-f]{40}$/);
    const profile = await call('/api/profile', { key: res.json.apiKey });
    expect(profile.json).toMatchObject({ username: 'carol', role: 'user', apiKey: res.json.apiKey, clientCount: 0, maxClients: 2 });
  });

  it('refuses a duplicate username with 409', async () => {
    const admin = await bootstrapAdmin();
    await call('/api/admin/users', { key: admin, body: { username: 'dave', password: 'dave-password' } });
    const again = await call('/api/admin/users', { key: admin, body: { username: 'dave', password: 'other-password' } });
    expect(again.status).toBe(409);
    expect(again.json.success).toBe(false);
  });

  it('refuses non-admins (403), client keys (403), no key (401) and bad input (400)', async () => {
    const admin = await bootstrapAdmin();
    const u = await newUser();
    const body = { username: 'eve1', password: 'eve-password' };
    expect((await call('/api/admin/users', { key: u.apiKey, body })).json).toMatchObject({ code: 'ACCESS_DENIED' });
    const { clientKey } = await addClient(admin);
    expect((await call('/api/admin/users', { key: clientKey, body })).status).toBe(403);
    expect((await call('/api/admin/users', { body })).status).toBe(401);
    const short = await call('/api/admin/users', { key: admin, body: { username: 'eve2', password: 'short' } });
    expect(short.status).toBe(400);
    expect(short.json).toMatchObject({ success: false, code: 'VALIDATION_ERROR' });
    expect(short.json.error).toMatch(/password/);
    const badRole = await call('/api/admin/users', { key: admin, body: { ...body, role: 'root' } });
    expect(badRole.status).toBe(400);
  });
});

describe('creating one username twice at once', () => {
  it('gives one user and one 409, never a 500', async () => {
    const admin = await bootstrapAdmin();
    const body = { username: `twin${Date.now().toString(36)}`, password: 'twin-password' };
    const answers = await Promise.all([1, 2, 3].map(() => call('/api/admin/users', { key: admin, body })));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409]);
  });
});
