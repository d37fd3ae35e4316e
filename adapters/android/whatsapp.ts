import { z } from '@hono/zod-openapi';
import type { EventOf } from '../events.ts';
import { fail, ok, type Result } from '../result.ts';
import { type AndroidContext, dedupeKey, describeIssues, looseInt, optionalText, phone, type ReplyRoute, text, toMillis } from './fields.ts';

export const WhatsappPayload = z.object({
  id: looseInt,
  wid: optionalText(64),
  phone,
  message: text(65_536),
  timestamp: looseInt,
});

/** A WhatsApp chat received on the phone itself: the same `message_received` as a bridge session sends. */
export function normalizeWhatsapp(data: unknown, ctx: AndroidContext): Result<{ event: EventOf<'message_received'>; dedupeKey: string; reply: ReplyRoute }> {
  const parsed = WhatsappPayload.safeParse(data);
  if (!parsed.success) return fail(`whatsapp: ${describeIssues(parsed.error)}`);
  const d = parsed.data;
  const timestamp = toMillis(d.timestamp, ctx.receivedAt);
  return ok({
    event: {
      event: 'message_received',
      data: {
        from: d.phone,
        to: ctx.deviceId,
        body: d.message,
        message: d.message,
        timestamp,
        type: 'received_message',
        channel: 'whatsapp',
        deviceId: ctx.deviceId,
        ...(d.id !== null ? { messageId: String(d.id) } : {}),
      },
    },
    dedupeKey: dedupeKey('whatsapp', d.id, d.wid, d.phone, d.timestamp, d.message),
    reply: { channel: 'whatsapp', to: d.phone, sim: null },
  });
}
