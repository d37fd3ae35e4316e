import { SELF } from 'cloudflare:test';
import { expect, it } from 'vitest';

it('answers /health with the bridge state', async () => {
  const res = await SELF.fetch('http://sb.test/health');
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ status: 'ok', bridge: 'disconnected' });
});

it('answers unknown routes with the JSON error shape', async () => {
  const res = await SELF.fetch('http://sb.test/nope');
  expect(res.status).toBe(404);
  expect(await res.json()).toMatchObject({ success: false, code: 'NOT_FOUND' });
});
