import { env, SELF } from 'cloudflare:test';
import { expect, it } from 'vitest';
import { bootstrapAdmin } from '../../test/helpers.ts';

it('answers /health 503 NOT_READY until the admin exists, then 200 with the bridge state', async () => {
  // a bridge D1 saw a moment ago whose link is gone (as right after a runtime restart) is not connected
  await env.DB.prepare('INSERT INTO bridge_links (bridge_id, seen_at, transport) VALUES (?, ?, ?)').bind('gone-at-restart', Date.now(), 'sandbox').run();
  const before = await SELF.fetch('http://sb.test/health');
  expect(before.status).toBe(503);
  expect(await before.json()).toEqual({ success: false, code: 'NOT_READY', error: 'Starting: the admin account is not created yet' });
  await bootstrapAdmin();
  const res = await SELF.fetch('http://sb.test/health');
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: 'ok', bridge: 'disconnected' });
});

it('answers unknown routes with the JSON error shape', async () => {
  const res = await SELF.fetch('http://sb.test/nope');
  expect(res.status).toBe(404);
  expect(await res.json()).toMatchObject({ success: false, code: 'NOT_FOUND' });
});
