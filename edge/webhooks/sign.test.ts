import { Webhook } from 'standardwebhooks';
import { expect, it } from 'vitest';
import { newWebhookSecret, signWebhook } from './sign.ts';

it('produces signatures the standardwebhooks library verifies', async () => {
  const secret = newWebhookSecret();
  const id = 'msg_2b8f0c7e4f5a4a0e9d0c3b1a2f4e6d8c';
  const ts = Math.floor(Date.now() / 1000);
  const body = JSON.stringify({ event: 'message_received', data: { body: 'שלום 👋' } });
  const signature = await signWebhook(secret, id, ts, body);
  expect(signature).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  const headers = { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signature };
  expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  expect(new Webhook(secret).sign(id, new Date(ts * 1000), body)).toBe(signature);
  expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
});
