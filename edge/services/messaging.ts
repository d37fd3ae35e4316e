// Sending through a WhatsApp client: the client's Durable Object routes it to the bridge; the sent
// message is stored and its message_sent webhook queued in one batch. Failures are explicit.
import type { WebhookEvent } from '../../adapters/events.ts';
import type { PendingLive } from '../../adapters/live.ts';
import { chatIdOf, type SendOutcome, type SendParams, type Sent } from '../../adapters/protocol.ts';
import { type Db, getDb } from '../db/client.ts';
import { type clients, sentMessages } from '../db/schema.ts';
import type { Bindings } from '../env.ts';
import { clientDelivery, wakeClientEndpoint } from '../webhooks/enqueue.ts';
import { ask, bridgeError } from './bridge-commands.ts';
import { isPrivateChat, summaryWrite } from './chat-summary.ts';

type Client = typeof clients.$inferSelect;
type Write = Parameters<Db['batch']>[0][number];

const pendingLive = (p: SendParams): PendingLive => ({ chatId: chatIdOf(p.to), body: p.text ?? '', type: p.media?.kind ?? 'chat', hasMedia: Boolean(p.media) });

/** The sent_messages row of a send that left, and its message_sent webhook (when the client has one). */
async function sentWrites(db: Db, client: Client, p: SendParams, sent: Sent): Promise<Write[]> {
  const text = p.text ?? '';
  const row = db
    .insert(sentMessages)
    .values({
      userId: client.userId,
      clientRef: client.id,
      messageId: sent.messageId,
      recipient: p.to,
      message: text,
      mediaUrl: p.media?.url ?? null,
      status: 'sent',
      sentAt: sent.timestamp,
    })
    .onConflictDoNothing(); // a keyed send the bridge answered before (a retried scheduled message)
  const event: WebhookEvent = {
    event: 'message_sent',
    data: {
      from: client.clientId,
      to: p.to,
      body: text,
      message: text,
      timestamp: sent.timestamp,
      type: 'sent_message',
      channel: 'whatsapp',
      messageId: sent.messageId,
    },
  };
  const delivery = await clientDelivery(db, client, event, `sent:${sent.messageId}`);
  const chatId = chatIdOf(p.to);
  const summary = isPrivateChat(chatId) ? [summaryWrite(db, { clientRef: client.id, chatId, body: text, at: sent.timestamp, fromMe: true })] : [];
  return [row, ...summary, ...(delivery ? [delivery.insert] : [])];
}

async function runBatches(db: Db, writes: Write[]): Promise<void> {
  for (let i = 0; i < writes.length; i += 100) {
    const [first, ...rest] = writes.slice(i, i + 100);
    if (first) await db.batch([first, ...rest]);
  }
}

export async function sendThroughClient(env: Bindings, client: Client, params: SendParams, waitUntil: (p: Promise<unknown>) => void): Promise<Sent> {
  const result = await ask(env, client.id, 'send', params, [pendingLive(params)]);
  const db = getDb(env.DB);
  if (!result.ok) {
    await db.insert(sentMessages).values({
      userId: client.userId,
      clientRef: client.id,
      recipient: params.to,
      message: params.text ?? '',
      mediaUrl: params.media?.url ?? null,
      status: 'failed',
      error: `${result.code}: ${result.message}`,
      sentAt: Date.now(),
    });
    throw bridgeError(result);
  }
  await runBatches(db, await sentWrites(db, client, params, result.result));
  wakeClientEndpoint(env, client, waitUntil);
  return result.result;
}

/**
 * Many texts through one client in one round trip (scheduled dispatch). Answers per item, in order;
 * the sent ones are stored and their message_sent webhooks queued in D1 batches.
 */
export async function sendBatchThroughClient(
  env: Bindings,
  client: Client,
  items: { to: string; text: string; key: string }[],
  waitUntil: (p: Promise<unknown>) => void,
): Promise<SendOutcome[]> {
  const result = await ask(env, client.id, 'sendBatch', { items }, items.map(pendingLive));
  if (!result.ok) return items.map(() => ({ ok: false as const, code: result.code, message: result.message }));
  const db = getDb(env.DB);
  const writes: Write[] = [];
  for (const [i, item] of items.entries()) {
    const outcome = result.result[i];
    if (outcome?.ok) writes.push(...(await sentWrites(db, client, item, outcome)));
  }
  await runBatches(db, writes);
  if (writes.length) wakeClientEndpoint(env, client, waitUntil);
  return items.map((_, i) => result.result[i] ?? { ok: false as const, code: 'BRIDGE_ERROR', message: 'no answer for this item' });
}
