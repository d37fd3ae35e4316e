// POST /api/send-message with an Idempotency-Key whose first attempt died mid-way.
import { env } from 'cloudflare:test';
import { expect, it } from 'vitest';
import { IN_PROGRESS_TTL_MS } from '../../services/idempotency.ts';
import { connectFakeBridge } from '../../test/fake-bridge.ts';
import { addClient, call, newUser } from '../../test/helpers.ts';

it('a key left in progress by a crash is freed after a while; before that a repeat answers 409', async () => {
  const bridge = await connectFakeBridge();
  const u = await newUser();
  const { clientId } = await addClient(u.apiKey);
  const body = { clientId, number: '15550000001', message: 'hello once' };
  const send = (key: string) => call('/api/send-message', { key: u.apiKey, body, headers: { 'idempotency-key': key } });
  const first = await send('crash-1');
  expect(first.status).toBe(200);
  // the worker of a first attempt died before settling its key: put the key back in that state
  const userId = (await env.DB.prepare('SELECT user_id FROM idempotency_keys WHERE key = ?').bind('crash-1').first<{ user_id: number }>())!.user_id;
  await env.DB.prepare('UPDATE idempotency_keys SET status = NULL, response = NULL, created_at = ? WHERE user_id = ? AND key = ?')
    .bind(Date.now(), userId, 'crash-1')
    .run();
  expect((await send('crash-1')).json.code).toBe('IDEMPOTENCY_IN_PROGRESS');
  await env.DB.prepare('UPDATE idempotency_keys SET created_at = ? WHERE user_id = ? AND key = ?')
    .bind(Date.now() - IN_PROGRESS_TTL_MS - 1000, userId, 'crash-1')
    .run();
  const retried = await send('crash-1');
  expect(retried.status).toBe(200);
  // the bridge knew the key: the same message, not a second one
  expect(retried.json.messageId).toBe(first.json.messageId);
  const sends = bridge.frames.filter((f) => f.t === 'req' && f.op === 'send');
  expect(new Set(sends.map((f) => f.params.key)).size).toBe(1);
  expect(sends[0].params.key).toBe(first.json.messageId); // the queue id, derived from the key
  expect(first.json.messageId).toMatch(/^q[0-9a-z]+_k[0-9a-f]{40}$/);
  expect((await send('crash-1')).json).toEqual(retried.json);
  bridge.close();
});
