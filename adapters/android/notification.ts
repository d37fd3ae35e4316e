import { z } from '@hono/zod-openapi';
import type { EventOf } from '../events.ts';
import { fail, ok, type Result } from '../result.ts';
import { type AndroidContext, dedupeKey, describeIssues, looseInt, optionalText, text, toMillis } from './fields.ts';

export const NotificationPayload = z.object({
  id: looseInt,
  device: optionalText(128),
  package: text(256).pipe(z.string().min(1, 'package is required')),
  title: optionalText(1024),
  content: optionalText(10_000),
  timestamp: looseInt,
});

export function normalizeNotification(data: unknown, ctx: AndroidContext): Result<{ event: EventOf<'notification_received'>; dedupeKey: string }> {
  const parsed = NotificationPayload.safeParse(data);
  if (!parsed.success) return fail(`notification: ${describeIssues(parsed.error)}`);
  const d = parsed.data;
  const timestamp = toMillis(d.timestamp, ctx.receivedAt);
  return ok({
    event: {
      event: 'notification_received',
      data: {
        package: d.package,
        title: d.title ?? '',
        content: d.content ?? '',
        deviceId: ctx.deviceId,
        device: d.device,
        id: d.id,
        timestamp,
        type: 'notification_received',
      },
    },
    dedupeKey: dedupeKey('notification', d.id, d.package, d.timestamp, d.title, d.content),
  });
}
