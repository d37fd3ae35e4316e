// A consumer's answer to an inbound message (`{"response": "..."}`) goes back to the sender over the
// channel it came from. Device channels (SMS, WhatsApp-on-phone) queue it for the device to send.
import { WebhookReplySchema } from '../../adapters/events.ts';
import type { ReplyRoute } from '../../adapters/android/index.ts';
import type { Db } from '../db/client.ts';
import { deviceOutbox } from '../db/schema.ts';
import { parseEndpointKey } from './endpoint.ts';

const REPLYABLE = new Set(['message_received', 'sms_received']);
const MAX_REPLY = 4096;

/** The text to send back, if the consumer answered one for a replyable event. */
export function replyText(event: string, body: string): string | null {
  if (!REPLYABLE.has(event) || !body) return null;
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return null;
  }
  const parsed = WebhookReplySchema.safeParse(json);
  const text = parsed.success ? parsed.data.response?.trim() : undefined;
  return text ? text.slice(0, MAX_REPLY) : null;
}

export async function routeReply(db: Db, delivery: { id: string; endpoint: string; replyRoute: string | null }, text: string): Promise<boolean> {
  const endpoint = parseEndpointKey(delivery.endpoint);
  if (!endpoint || !delivery.replyRoute) return false;
  const route = JSON.parse(delivery.replyRoute) as ReplyRoute;
  if (endpoint.kind === 'device') {
    await db
      .insert(deviceOutbox)
      .values({ deviceRef: endpoint.id, channel: route.channel, to: route.to, sim: route.sim, message: text, sourceDelivery: delivery.id })
      .onConflictDoNothing();
    return true;
  }
  // Replies to WhatsApp sessions travel through the bridge (see the bridge issue); nothing to queue here yet.
  return false;
}
