import { z } from '@hono/zod-openapi';
import type { EventOf } from '../events.ts';
import { fail, ok, type Result } from '../result.ts';
import { type AndroidContext, dedupeKey, describeIssues, looseInt, optionalText, text, toMillis } from './fields.ts';

export const UssdPayload = z.object({
  id: looseInt,
  sim: looseInt,
  device: optionalText(128),
  code: text(64).pipe(z.string().min(1, 'code is required')),
  response: text(10_000),
  timestamp: looseInt,
});

export function normalizeUssd(data: unknown, ctx: AndroidContext): Result<{ event: EventOf<'ussd_response'>; dedupeKey: string }> {
  const parsed = UssdPayload.safeParse(data);
  if (!parsed.success) return fail(`ussd: ${describeIssues(parsed.error)}`);
  const d = parsed.data;
  const timestamp = toMillis(d.timestamp, ctx.receivedAt);
  return ok({
    event: {
      event: 'ussd_response',
      data: { code: d.code, response: d.response, sim: d.sim, deviceId: ctx.deviceId, device: d.device, id: d.id, timestamp, type: 'ussd_response' },
    },
    dedupeKey: dedupeKey('ussd', d.id, d.sim, d.code, d.timestamp, d.response),
  });
}
