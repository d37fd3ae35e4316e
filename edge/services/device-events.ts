// A device's event: stored, its webhook delivery queued and its copy kept for rules, in ONE D1 batch that also checks the
// device's secret. Idempotent by dedupe key: a repeated payload is dropped and never queued twice.
import type { WebhookEvent } from '../../adapters/events.ts';
import type { ReplyRoute } from '../../adapters/android/index.ts';
import type { Bindings } from '../env.ts';
import { sha256Hex } from '../lib/secrets.ts';
import { deviceRuleEvent, ruleEventId, wakeRulesAfter } from '../rules/inbox.ts';
import { deliveryIdFor, wakeAfterQueue } from '../webhooks/enqueue.ts';
import type { PresentedSecret } from './devices.ts';

export interface Recorded {
  /** false: no device has this id and secret */
  authorized: boolean;
  eventId: number | null;
  duplicate: boolean;
}

const DEVICE = 'FROM devices WHERE device_id = ? AND secret_hash = ?';

export async function recordDeviceEvent(
  env: Bindings,
  who: PresentedSecret,
  input: { event: WebhookEvent; dedupeKey: string; reply?: ReplyRoute; fromRule?: boolean },
  waitUntil: (p: Promise<unknown>) => void,
): Promise<Recorded> {
  const now = Date.now();
  const dedupeHash = await sha256Hex(input.dedupeKey);
  const deliveryId = await deliveryIdFor(`${who.deviceId}|${dedupeHash}`);
  const payload = JSON.stringify(input.event);
  const forRules = deviceRuleEvent(env.DB, who, await ruleEventId(`device:${who.deviceId}|${dedupeHash}`), input.event, {
    replyRoute: input.reply,
    fromRule: input.fromRule,
  });
  const [event, delivery, device] = await env.DB.batch<{ id?: number; endpoint?: string; status?: string; user_id?: number }>([
    env.DB.prepare(`INSERT INTO device_events (device_ref, event, dedupe_hash, payload) SELECT id, ?, ?, ? ${DEVICE} ON CONFLICT DO NOTHING RETURNING id`).bind(
      input.event.event,
      dedupeHash,
      payload,
      who.deviceId,
      who.secretHash,
    ),
    env.DB.prepare(
      `INSERT INTO webhook_deliveries (id, user_id, endpoint, event, payload, reply_route, status, next_attempt_at)
       SELECT ?, user_id, 'device:' || id, ?, ?, ?, CASE WHEN webhook_disabled_at IS NULL THEN 'pending' ELSE 'paused' END, ?
       ${DEVICE} AND webhook_url IS NOT NULL ON CONFLICT DO NOTHING RETURNING endpoint, status`,
    ).bind(deliveryId, input.event.event, payload, input.reply ? JSON.stringify(input.reply) : null, now, who.deviceId, who.secretHash),
    env.DB.prepare(`UPDATE devices SET last_seen_at = ? WHERE device_id = ? AND secret_hash = ? RETURNING id, user_id`).bind(now, who.deviceId, who.secretHash),
    forRules,
  ]);
  const queued = delivery?.results[0];
  if (queued?.status === 'pending' && queued.endpoint) {
    wakeAfterQueue(env, queued.endpoint, waitUntil);
  }
  const eventId = event?.results[0]?.id ?? null;
  const owner = device?.results[0]?.user_id;
  if (eventId !== null && owner !== undefined) wakeRulesAfter(env, owner, input.event.event, waitUntil);
  return { authorized: (device?.results.length ?? 0) > 0, eventId, duplicate: eventId === null };
}
