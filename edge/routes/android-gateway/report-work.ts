// A device's report on an API send (`sms_status`) or a USSD request (`ussd_response`, correlated by the
// request id): the row moves forward only (a repeated or late report changes nothing and emits nothing).
import type { Context } from 'hono';
import type { WebhookEvent } from '../../../adapters/events.ts';
import type { deviceOutbox } from '../../db/schema.ts';
import type { AppEnv } from '../../env.ts';
import { ApiError } from '../../lib/errors.ts';
import { recordDeviceEvent } from '../../services/device-events.ts';
import { ussdEvent } from '../../services/ussd-event.ts';
import type { DeviceRow } from '../../services/devices.ts';

type Item = typeof deviceOutbox.$inferSelect;
type Report = { status: 'sent' | 'delivered' | 'failed'; error?: string; response?: string };

/** From which states each report moves a row: only work the device took (a report on unclaimed work changes nothing). */
const FROM: Record<Report['status'], string[]> = {
  sent: ['sending'],
  delivered: ['sending', 'sent'],
  failed: ['sending', 'sent'],
};

export async function reportWork(c: Context<AppEnv>, device: DeviceRow, item: Item, body: Report) {
  const now = Date.now();
  const ussd = item.kind === 'ussd';
  // a USSD answer is `sent` with the response; it cannot be `delivered`
  const next = ussd && body.status === 'delivered' ? 'sent' : body.status;
  const res = await c.env.DB.prepare(
    `UPDATE device_outbox SET status = ?1, error = ?2, response = coalesce(?3, response), updated_at = ?4, lease_until = NULL,
       sent_at = CASE WHEN ?1 IN ('sent', 'delivered') THEN coalesce(sent_at, ?4) ELSE sent_at END,
       delivered_at = CASE WHEN ?1 = 'delivered' THEN ?4 ELSE delivered_at END
     WHERE id = ?5 AND device_ref = ?7 AND status IN (SELECT value FROM json_each(?6))`,
  )
    .bind(
      next,
      next === 'failed' ? (body.error ?? 'failed on the device') : null,
      ussd ? (body.response ?? null) : null,
      now,
      item.id,
      JSON.stringify(FROM[next]),
      device.id,
    )
    .run();
  const changed = (res.meta.changes ?? 0) > 0;
  if (!changed) {
    // moved to another device between the read and this write: this device is told, as before the read
    const now2 = await c.env.DB.prepare('SELECT device_ref FROM device_outbox WHERE id = ?').bind(item.id).first<{ device_ref: number }>();
    if (now2 && now2.device_ref !== device.id)
      throw new ApiError(409, 'WORK_MOVED', 'This work was moved to another device while this one was silent; do not send it');
  }
  const event = eventFor(device, item, next, body, now);
  if (changed && event)
    await recordDeviceEvent(
      c.env,
      { deviceId: device.deviceId, secretHash: device.secretHash },
      { event, dedupeKey: `work:${item.id}:${next}`, fromRule: item.ruleRun !== null },
      (p) => c.executionCtx.waitUntil(p),
    );
  return { success: true as const, id: item.id, status: (changed ? next : item.status) as 'sent' | 'delivered' | 'failed', changed };
}

function eventFor(device: DeviceRow, item: Item, status: Report['status'], body: Report, now: number): WebhookEvent | null {
  if (item.kind === 'ussd')
    return ussdEvent(
      { publicId: item.publicId, to: item.to, sim: item.sim },
      device.deviceId,
      now,
      status === 'failed' ? { error: body.error ?? 'failed on the device' } : { response: body.response ?? '' },
    );
  return {
    event: 'sms_status',
    data: {
      id: item.publicId ?? `out_${item.id}`,
      status,
      to: item.to,
      deviceId: device.deviceId,
      sim: item.sim,
      segments: item.segments,
      ...(status === 'failed' ? { error: body.error ?? 'failed on the device' } : {}),
      ...(item.fallbackOf ? { fallbackOf: item.fallbackOf } : {}),
      timestamp: now,
      type: 'sms_status',
      channel: 'sms',
    },
  };
}
