import { z } from '@hono/zod-openapi';
import type { EventOf } from '../events.ts';
import { fail, ok, type Result } from '../result.ts';
import { type AndroidContext, dedupeKey, describeIssues, looseInt, optionalText, phone, type ReplyRoute, text, toMillis } from './fields.ts';

export const SmsPayload = z.object({
  id: looseInt,
  rid: looseInt,
  sim: looseInt,
  device: optionalText(128),
  phone,
  message: text(10_000),
  timestamp: looseInt,
});

export function normalizeSms(data: unknown, ctx: AndroidContext): Result<{ event: EventOf<'sms_received'>; dedupeKey: string; reply: ReplyRoute }> {
  const parsed = SmsPayload.safeParse(data);
  if (!parsed.success) return fail(`sms: ${describeIssues(parsed.error)}`);
  const d = parsed.data;
  const timestamp = toMillis(d.timestamp, ctx.receivedAt);
  return ok({
    event: {
      event: 'sms_received',
      data: {
        from: d.phone,
        to: ctx.deviceId,
        body: d.message,
        message: d.message,
        sim: d.sim,
        deviceId: ctx.deviceId,
        device: d.device,
        id: d.id,
        rid: d.rid,
        timestamp,
        type: 'sms_received',
        channel: 'sms',
      },
    },
    dedupeKey: dedupeKey('sms', d.id, d.rid, d.sim, d.phone, d.timestamp, d.message),
    reply: { channel: 'sms', to: d.phone, sim: d.sim },
  });
}
