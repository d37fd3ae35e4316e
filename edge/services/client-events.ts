// Webhook events of a WhatsApp client: queued in the same D1 batch as the write that caused them,
// with a delivery id derived from their cause, so a repeat never queues twice.
import type { WebhookEvent } from '../../adapters/events.ts';
import type { ReplyRoute } from '../../adapters/android/index.ts';
import type { Db } from '../db/client.ts';
import type { clients } from '../db/schema.ts';
import type { Bindings } from '../env.ts';
import { deliveryIdFor, deliveryInsert, kickSoon } from '../webhooks/outbox.ts';

type ClientRow = Pick<typeof clients.$inferSelect, 'id' | 'userId' | 'webhookUrl' | 'webhookDisabledAt'>;

/**
 * The insert for this event's delivery, to batch with its cause (wrapped: a query builder is
 * thenable and would run if returned bare from an async function), or null without a webhook.
 */
export async function clientDelivery(db: Db, client: ClientRow, event: WebhookEvent, cause: string, replyRoute?: ReplyRoute) {
  if (!client.webhookUrl) return null;
  const insert = deliveryInsert(db, {
    id: await deliveryIdFor(`client:${client.id}|${cause}`),
    userId: client.userId,
    endpoint: `client:${client.id}`,
    event,
    replyRoute,
    status: client.webhookDisabledAt === null ? 'pending' : 'paused',
  });
  return { insert };
}

export function wakeClientOutbox(env: Bindings, client: ClientRow, waitUntil: (p: Promise<unknown>) => void): void {
  if (client.webhookUrl && client.webhookDisabledAt === null) {
    waitUntil(kickSoon(env, `client:${client.id}`).catch((e) => console.error('outbox kick failed; the cron sweep will retry', e)));
  }
}
