// Sending through a WhatsApp client: the client's Durable Object routes it to the bridge; the sent
// message is stored and its message_sent webhook queued in one batch. Failures are explicit.
import type { SendOutcome, SendParams } from '../../adapters/protocol.ts';
import { getDb } from '../db/client.ts';
import { clients, sentMessages } from '../db/schema.ts';
import type { Bindings } from '../env.ts';
import { ApiError } from '../lib/errors.ts';
import type { BridgeResult } from '../objects/bridge-link.ts';
import { clientDelivery, wakeClientOutbox } from './client-events.ts';

type Client = typeof clients.$inferSelect;

export const hubFor = (env: Bindings, clientRef: number) => env.CLIENT_HUB.getByName(`client:${clientRef}`);

/** A live update to the client's open chat sockets (never fails the caller). */
export const live = (env: Bindings, clientRef: number, update: Record<string, unknown>): Promise<unknown> =>
  hubFor(env, clientRef)
    .broadcast(update)
    .catch((err: unknown) => console.error('live update failed', err));

/** A bridge's refusal as the API answers it. */
export function bridgeError(result: Extract<BridgeResult, { ok: false }>): ApiError {
  switch (result.code) {
    case 'MEDIA_ERROR':
      return new ApiError(400, 'MEDIA_ERROR', result.message);
    case 'VALIDATION_ERROR':
      return new ApiError(400, 'VALIDATION_ERROR', result.message);
    case 'GROUP_NOT_FOUND':
      return new ApiError(404, 'GROUP_NOT_FOUND', result.message);
    case 'READ_ONLY_CHAT':
      return new ApiError(403, 'READ_ONLY_CHAT', result.message);
    case 'NO_PENDING_QR':
      return new ApiError(409, 'NO_PENDING_QR', result.message);
    case 'NOT_SUPPORTED':
      return new ApiError(400, 'NOT_SUPPORTED', result.message);
    case 'WHATSAPP_ERROR':
      return new ApiError(502, 'WHATSAPP_ERROR', result.message);
    default:
      return new ApiError(503, result.code, result.message);
  }
}

export interface Sent {
  messageId: string;
  timestamp: number;
}

export async function sendThroughClient(
  env: Bindings,
  client: Client,
  params: SendParams,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<Sent> {
  const chatId = params.to.includes('@') ? params.to : `${params.to}@c.us`;
  const liveUpdate = { type: 'message', chatId, message: { body: params.text ?? '', fromMe: true, type: params.media?.kind ?? 'chat', hasMedia: Boolean(params.media) } };
  const result = (await hubFor(env, client.id).request(client.id, 'send', params, liveUpdate)) as unknown as BridgeResult;
  const db = getDb(env.DB);
  const text = params.text ?? '';
  if (!result.ok) {
    await db.insert(sentMessages).values({
      userId: client.userId, clientRef: client.id, recipient: params.to, message: text, mediaUrl: params.media?.url ?? null,
      status: 'failed', error: `${result.code}: ${result.message}`, sentAt: Date.now(),
    });
    throw bridgeError(result);
  }
  const sent = result.result as Sent;
  const insert = db.insert(sentMessages).values({
    userId: client.userId, clientRef: client.id, messageId: sent.messageId, recipient: params.to, message: text,
    mediaUrl: params.media?.url ?? null, status: 'sent', sentAt: sent.timestamp,
  }).onConflictDoNothing(); // a keyed send the bridge answered before (a retried scheduled message)
  const delivery = await clientDelivery(
    db,
    client,
    { event: 'message_sent', data: { from: client.clientId, to: params.to, body: text, message: text, timestamp: sent.timestamp, type: 'sent_message', channel: 'whatsapp', messageId: sent.messageId } },
    `sent:${sent.messageId}`,
  );
  if (delivery) await db.batch([insert, delivery.insert]);
  else await insert;
  wakeClientOutbox(env, client, waitUntil);
  return sent;
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
  const result = (await hubFor(env, client.id).request(client.id, 'sendBatch', { items })) as unknown as BridgeResult;
  if (!result.ok) return items.map(() => ({ ok: false as const, code: result.code, message: result.message }));
  const outcomes = Array.isArray(result.result) ? (result.result as SendOutcome[]) : [];
  const db = getDb(env.DB);
  type Write = Parameters<typeof db.batch>[0][number];
  const writes: Write[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const outcome = outcomes[i];
    if (!outcome?.ok) continue;
    writes.push(
      db
        .insert(sentMessages)
        .values({ userId: client.userId, clientRef: client.id, messageId: outcome.messageId, recipient: item.to, message: item.text, status: 'sent', sentAt: outcome.timestamp })
        .onConflictDoNothing(),
    );
    const delivery = await clientDelivery(
      db,
      client,
      { event: 'message_sent', data: { from: client.clientId, to: item.to, body: item.text, message: item.text, timestamp: outcome.timestamp, type: 'sent_message', channel: 'whatsapp', messageId: outcome.messageId } },
      `sent:${outcome.messageId}`,
    );
    if (delivery) writes.push(delivery.insert);
  }
  for (let i = 0; i < writes.length; i += 100) {
    const chunk = writes.slice(i, i + 100);
    await db.batch(chunk as [Write, ...Write[]]);
  }
  if (writes.length) wakeClientOutbox(env, client, waitUntil);
  return items.map((_, i) => outcomes[i] ?? { ok: false as const, code: 'BRIDGE_ERROR', message: 'no answer for this item' });
}
