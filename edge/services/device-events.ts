// Storing a device's event and queueing its webhook delivery: one D1 batch, idempotent by dedupe key,
// so a repeated payload is dropped and a retried request never queues a second delivery.
import { eq } from 'drizzle-orm';
import type { WebhookEvent } from '../../adapters/events.ts';
import type { ReplyRoute } from '../../adapters/android/index.ts';
import { getDb } from '../db/client.ts';
import { deviceEvents, devices, webhookDeliveries } from '../db/schema.ts';
import type { Bindings } from '../env.ts';
import { sha256Hex } from '../lib/secrets.ts';
import { deliveryInsert, kick } from '../webhooks/outbox.ts';
import type { DeviceRow } from './devices.ts';

export interface Recorded {
  eventId: number | null;
  duplicate: boolean;
  deliveryId: string | null;
}

export async function recordDeviceEvent(
  env: Bindings,
  device: DeviceRow,
  input: { event: WebhookEvent; dedupeKey: string; reply?: ReplyRoute },
  waitUntil: (p: Promise<unknown>) => void,
): Promise<Recorded> {
  const db = getDb(env.DB);
  const now = Date.now();
  const dedupeHash = await sha256Hex(input.dedupeKey);
  const endpoint = `device:${device.id}` as const;
  const deliveryId = device.webhookUrl ? `msg_${(await sha256Hex(`${endpoint}|${dedupeHash}`)).slice(0, 32)}` : null;
  const insertEvent = db
    .insert(deviceEvents)
    .values({ deviceRef: device.id, event: input.event.event, dedupeHash, payload: JSON.stringify(input.event) })
    .onConflictDoNothing()
    .returning({ id: deviceEvents.id });
  const touch = db.update(devices).set({ lastSeenAt: now }).where(eq(devices.id, device.id));
  let inserted: { id: number }[];
  if (deliveryId) {
    const delivery = deliveryInsert(db, { id: deliveryId, userId: device.userId, endpoint, event: input.event, replyRoute: input.reply }, now);
    const results = await db.batch([insertEvent, delivery, touch]);
    inserted = results[0];
    if (device.webhookDisabledAt !== null) {
      await db.update(webhookDeliveries).set({ status: 'paused' }).where(eq(webhookDeliveries.id, deliveryId));
    } else if (inserted.length) {
      waitUntil(kick(env, endpoint).catch((e) => console.error('outbox kick failed; the cron sweep will retry', e)));
    }
  } else {
    inserted = (await db.batch([insertEvent, touch]))[0];
  }
  return { eventId: inserted[0]?.id ?? null, duplicate: inserted.length === 0, deliveryId };
}
