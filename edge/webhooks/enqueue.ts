// Queuing a webhook delivery: the row is written in the same D1 batch as the change that caused it,
// with an id derived from that cause (a repeat never queues twice), then the endpoint's sender wakes.
import type { EventName, WebhookEvent } from '../../adapters/events.ts';
import type { ReplyRoute } from '../../adapters/android/index.ts';
import type { Db, Write } from '../db/client.ts';
import { type clients, webhookDeliveries } from '../db/schema.ts';
import type { Bindings } from '../env.ts';
import { sha256Hex } from '../lib/secrets.ts';
import { wakeThinned } from '../lib/wake-window.ts';
import { clientRuleEvent, NOT_FOR_RULES, wakeRulesAfter } from '../rules/inbox.ts';
import type { EndpointKey } from './endpoint.ts';

export interface NewDelivery {
  id: string;
  userId: number;
  endpoint: EndpointKey;
  event: WebhookEvent;
  replyRoute?: ReplyRoute;
  /** `paused` when the endpoint is disabled (410): kept until its URL is saved again */
  status?: 'pending' | 'paused';
}

/** A delivery id derived from what caused it: the same cause never queues two deliveries. */
export async function deliveryIdFor(cause: string): Promise<string> {
  return `msg_${(await sha256Hex(cause)).slice(0, 32)}`;
}

/** The insert for one delivery (idempotent by id), to batch with the write that caused it. */
export function deliveryInsert(db: Db, d: NewDelivery, now = Date.now()) {
  return db
    .insert(webhookDeliveries)
    .values({
      id: d.id,
      userId: d.userId,
      endpoint: d.endpoint,
      event: d.event.event,
      payload: JSON.stringify(d.event),
      replyRoute: d.replyRoute ? JSON.stringify(d.replyRoute) : null,
      status: d.status ?? 'pending',
      nextAttemptAt: now,
    })
    .onConflictDoNothing();
}

/** Wakes the endpoint's sender object; the cron sweep catches any wake-up that was lost. */
export async function wake(env: Bindings, endpoint: string, at?: number): Promise<void> {
  await env.WEBHOOK_SENDER.getByName(endpoint).wake(endpoint, at);
}

/** A wake-up for a new row, skipped when this isolate woke the same endpoint a moment ago. */
export function wakeSoon(env: Bindings, endpoint: string): Promise<void> {
  return wakeThinned(`webhook:${endpoint}`, () => wake(env, endpoint));
}

type ClientRow = Pick<typeof clients.$inferSelect, 'id' | 'userId' | 'clientId' | 'webhookUrl' | 'webhookDisabledAt'>;

/**
 * The insert for a WhatsApp client's event delivery, to batch with its cause (wrapped: a query builder
 * is thenable and would run if returned bare from an async function), or null without a webhook.
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

/**
 * Everything one WhatsApp client event writes beside its cause: its webhook delivery (with a webhook URL)
 * and its copy for the account's rules (when a rule names the event). Batch them with the cause.
 */
export async function clientEventWrites(
  db: Db,
  client: ClientRow,
  event: WebhookEvent,
  cause: string,
  opts: { replyRoute?: ReplyRoute; fromRule?: boolean } = {},
): Promise<Write[]> {
  const [delivery, forRules] = await Promise.all([clientDelivery(db, client, event, cause, opts.replyRoute), clientRuleEvent(db, client, event, cause, opts)]);
  return [...(delivery ? [delivery.insert] : []), ...(forRules ? [forRules.write] : [])];
}

/** After the batch: wakes the client's webhook sender and, when a rule names the event, the account's rule runner. */
export function wakeForEvent(env: Bindings, client: ClientRow, event: string, waitUntil: (p: Promise<unknown>) => void): void {
  wakeClientEndpoint(env, client, waitUntil);
  if (!NOT_FOR_RULES.has(event as EventName)) wakeRulesAfter(env, client.userId, event, waitUntil);
}

/** Wakes a sender for rows just queued (`client:<id>` / `device:<id>`); a lost wake-up is caught by the cron sweep. */
export function wakeAfterQueue(env: Bindings, endpoint: string, waitUntil: (p: Promise<unknown>) => void): void {
  waitUntil(wakeSoon(env, endpoint).catch((e) => console.error('webhook wake-up failed; the cron sweep will retry', e)));
}

export function wakeClientEndpoint(env: Bindings, client: ClientRow, waitUntil: (p: Promise<unknown>) => void): void {
  if (client.webhookUrl && client.webhookDisabledAt === null) wakeAfterQueue(env, `client:${client.id}`, waitUntil);
}
