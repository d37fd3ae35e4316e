import { env } from 'cloudflare:test';
import { expect, it } from 'vitest';
import { ADMIN, addClient, call, login, newUser } from '../test/helpers.ts';

it('stores no password, API key, session token or webhook secret in plaintext in any D1 table', async () => {
  const u = await newUser();
  const { clientId, clientKey } = await addClient(u.apiKey);
  const hook = await call('/api/update-webhook', { key: u.apiKey, body: { clientId, webhookUrl: 'https://hooks.example.com/x' } });
  const cookie = await login(u.username, u.password);
  const reset = await call('/api/reset-api-key', { body: { username: u.username, currentApiKey: u.apiKey } });
  const secrets = [
    u.password,
    u.apiKey,
    reset.json.newApiKey,
    clientKey,
    hook.json.webhookSecret,
    hook.json.webhookSecret.replace(/^whsec_/, ''),
    cookie.split('=')[1],
    ADMIN.password,
    ADMIN.apiKey,
  ];
  expect(secrets.every((s) => typeof s === 'string' && s.length >= 8)).toBe(true);

  const tables = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'").all<{
    name: string;
  }>();
  expect(tables.results.map((t) => t.name)).toEqual(expect.arrayContaining(['users', 'api_keys', 'clients', 'sessions', 'audit_log']));
  let cells = 0;
  for (const { name } of tables.results) {
    const rows = await env.DB.prepare(`SELECT * FROM "${name}"`).all<Record<string, unknown>>();
    for (const row of rows.results) {
      for (const value of Object.values(row)) {
        cells++;
        const text = String(value);
        for (const secret of secrets) expect(text, `${name} holds a secret`).not.toContain(secret);
      }
    }
  }
  expect(cells).toBeGreaterThan(20);
});
