import { env } from 'cloudflare:test';
import { expect, it } from 'vitest';
import { call, newDevice, newUser, postAndroid, smsPayload } from '../test/helpers.ts';

it('re-checks the URL at send time: a private URL that slipped into storage is refused, not fetched', async () => {
  const u = await newUser();
  const d = await newDevice(u.apiKey, 'https://hooks.example.com/in');
  // as if the rules changed after the URL was saved
  await env.DB.prepare('UPDATE devices SET webhook_url = ? WHERE device_id = ?').bind('http://169.254.169.254/latest', d.deviceId).run();
  await postAndroid(d.secret, smsPayload('x'));
  let delivery: any;
  for (let i = 0; i < 100 && delivery?.status !== 'dead'; i++) {
    delivery = (await call('/api/webhook-deliveries', { key: u.apiKey })).json.deliveries[0];
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(delivery).toMatchObject({ status: 'dead', attempts: 1 });
  expect(delivery.lastError).toContain('webhook URL refused');
});
