// A consumer's answer goes back over the channel its event came from: `response` to a message's
// sender, `rejectionMessage` (or the default) to a rejected caller. Device channels (SMS,
// WhatsApp-on-phone) queue it for the device; WhatsApp clients send it through their bridge.
import { DEFAULT_REJECTION, WebhookReplySchema } from '../../adapters/events.ts';
import type { ReplyRoute } from '../../adapters/android/index.ts';
import { getDb } from '../db/client.ts';
import { deviceOutbox } from '../db/schema.ts';
import type { Bindings } from '../env.ts';
import { clientByRef } from '../services/clients.ts';
import { derivedQueueId, queueSystemSend } from '../services/send-queue.ts';
import type { AttemptResult } from './deliver.ts';
import { parseEndpointKey } from './endpoint.ts';

const REPLYABLE = new Set(['message_received', 'sms_received']);
const MAX_REPLY = 4096;

function parseReply(body: string) {
  try {
    const parsed = WebhookReplySchema.safeParse(JSON.parse(body));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** What to send back after this attempt, if anything. */
export function replyFor(event: string, result: AttemptResult): string | null {
  const reply = result.kind === 'delivered' && result.body ? parseReply(result.body) : undefined;
  if (event === 'call_rejected') {
    // the caller hears back after the first attempt, whatever the webhook did; once (the caller marks it
    // replied), and on a later attempt only if the first could not queue it
    return reply?.rejectionMessage?.trim().slice(0, MAX_REPLY) || DEFAULT_REJECTION;
  }
  if (!REPLYABLE.has(event)) return null;
  const text = reply?.response?.trim();
  return text ? text.slice(0, MAX_REPLY) : null;
}

export async function routeReply(
  env: Bindings,
  delivery: { id: string; endpoint: string; replyRoute: string | null; event: string },
  text: string,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<void> {
  const endpoint = parseEndpointKey(delivery.endpoint);
  if (!endpoint || !delivery.replyRoute) return;
  const route = JSON.parse(delivery.replyRoute) as ReplyRoute;
  const db = getDb(env.DB);
  if (endpoint.kind === 'device') {
    await db
      .insert(deviceOutbox)
      .values({ deviceRef: endpoint.id, channel: route.channel, to: route.to, sim: route.sim, message: text, sourceDelivery: delivery.id })
      .onConflictDoNothing();
    return;
  }
  const client = await clientByRef(db, endpoint.id);
  if (!client) return;
  // queued ahead of bulk sends, under an id derived from the delivery: asked twice, it is one message;
  // a refusal is recorded as a failed sent message (GET /api/sent-messages) and a message_failed webhook
  const id = await derivedQueueId(client.id, 'w', delivery.id);
  await queueSystemSend(env, client, { to: route.to, text, origin: delivery.event === 'call_rejected' ? 'rejection' : 'reply' }, id, waitUntil);
}
