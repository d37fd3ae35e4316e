// The delivery log pages with a cursor like every list.
import { env } from 'cloudflare:test';
import { expect, it } from 'vitest';
import { addClient, call, newUser } from '../../test/helpers.ts';

it('GET /api/webhook-deliveries pages newest first with X-Next-Cursor, reaching every delivery', async () => {
  const u = await newUser();
  const { clientId } = await addClient(u.apiKey);
  const client = (await env.DB.prepare('SELECT id, user_id FROM clients WHERE client_id = ?').bind(clientId).first<{ id: number; user_id: number }>())!;
  const t = Date.now() - 10_000;
  for (let i = 0; i < 5; i++) {
    // two of them at the same instant: the cursor still orders and separates them
    await env.DB.prepare(
      "INSERT INTO webhook_deliveries (id, user_id, endpoint, event, payload, status, next_attempt_at, created_at) VALUES (?, ?, ?, 'message_sent', '{}', 'delivered', 0, ?)",
    )
      .bind(`msg_page_${i}`, client.user_id, `client:${client.id}`, t + Math.min(i, 3))
      .run();
  }
  const seen: string[] = [];
  let cursor: string | null = '';
  let pages = 0;
  while (cursor !== null) {
    const res = await call(`/api/webhook-deliveries?limit=2${cursor ? `&cursor=${cursor}` : ''}`, { key: u.apiKey });
    expect(res.status).toBe(200);
    seen.push(...res.json.deliveries.map((d: any) => d.id));
    cursor = res.headers.get('x-next-cursor');
    pages++;
  }
  expect(pages).toBe(3);
  expect(seen).toEqual(['msg_page_4', 'msg_page_3', 'msg_page_2', 'msg_page_1', 'msg_page_0']);
});
