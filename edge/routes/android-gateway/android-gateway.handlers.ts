import { and, eq, inArray } from 'drizzle-orm';
import type { Context } from 'hono';
import { normalizeAndroid, parseAndroidBody } from '../../../adapters/android/index.ts';
import type { WebhookEvent } from '../../../adapters/events.ts';
import { getDb } from '../../db/client.ts';
import { deviceOutbox } from '../../db/schema.ts';
import type { AppEnv } from '../../env.ts';
import { ApiError } from '../../lib/errors.ts';
import { createRouter } from '../../lib/router.ts';
import { takeSlot } from '../../middleware/rate-limit.ts';
import { recordDeviceEvent } from '../../services/device-events.ts';
import { deviceBySecret, parseDeviceSecret, type DeviceRow } from '../../services/devices.ts';
import { CLAIM_MS, moveFromSilentSoon, wakeDevice } from '../../services/sms-sends.ts';
import { ingressRoute, outboxRoute, reportRoute, simsRoute } from './android-gateway.routes.ts';
import { reportWork } from './report-work.ts';

const OUTBOX_LEASE_MS = 5 * 60_000;

const INVALID_SECRET = () => new ApiError(401, 'AUTH_ERROR', 'Invalid device secret');

function presentedSecret(c: Context<AppEnv>, bodySecret?: unknown): string {
  // never from the query string: URLs end up in logs
  const secret = c.req.header('x-device-secret') ?? (typeof bodySecret === 'string' ? bodySecret : undefined);
  if (!secret) throw new ApiError(401, 'AUTH_ERROR', 'Device secret required (x-device-secret header or secret field)');
  return secret;
}

async function authenticateDevice(c: Context<AppEnv>, bodySecret?: unknown): Promise<DeviceRow> {
  const device = await deviceBySecret(getDb(c.env.DB), presentedSecret(c, bodySecret));
  if (!device) throw INVALID_SECRET();
  await takeSlot(c, 'device', device.deviceId);
  // every authenticated call is a sign of life: the fleet routes only to devices seen recently
  await c.env.DB.prepare('UPDATE devices SET last_seen_at = ? WHERE id = ?').bind(Date.now(), device.id).run();
  return device;
}

type Claimed = {
  id: number;
  kind: 'reply' | 'send' | 'ussd';
  channel: 'sms' | 'whatsapp';
  to: string;
  sim: number | null;
  message: string;
  lease_until: number;
};

/** Claims the device's due work (pending, or claimed before and lapsed), oldest first. */
async function claim(env: AppEnv['Bindings'], deviceRef: number, limit: number): Promise<Claimed[]> {
  const now = Date.now();
  const res = await env.DB.prepare(
    `UPDATE device_outbox SET status = 'sending', lease_until = CASE kind WHEN 'reply' THEN ?1 WHEN 'ussd' THEN min(?2, deadline) ELSE ?2 END, updated_at = ?3
     WHERE id IN (SELECT id FROM device_outbox WHERE device_ref = ?4 AND (not_before IS NULL OR not_before <= ?3)
                  AND (deadline IS NULL OR deadline > ?3)
                  AND (status = 'pending' OR (status = 'sending' AND lease_until < ?3)) ORDER BY id LIMIT ?5)
     RETURNING id, kind, channel, "to", sim, message, lease_until`,
  )
    .bind(now + OUTBOX_LEASE_MS, now + CLAIM_MS, now, deviceRef, limit)
    .all<Claimed>();
  return res.results.sort((a, b) => a.id - b.id);
}

export const androidGatewayRouter = createRouter()
  .openapi(ingressRoute, async (c) => {
    const parsed = parseAndroidBody(await c.req.text(), c.req.header('content-type'));
    const secret = presentedSecret(c, parsed.ok ? parsed.value.secret : undefined);
    const who = await parseDeviceSecret(secret);
    if (!who) throw INVALID_SECRET();
    // per device (named by its secret); a slot taken with a wrong secret is given back below, so nobody
    // can spend a device's budget without its secret
    const slot = await takeSlot(c, 'device', who.deviceId);
    const normalized = parsed.ok ? normalizeAndroid(parsed.value, { deviceId: who.deviceId, receivedAt: Date.now() }) : parsed;
    if (!normalized.ok) {
      await slot.refund(); // authenticateDevice takes the device's slot, for a right secret only
      await authenticateDevice(c, parsed.ok ? parsed.value.secret : undefined); // a wrong secret is a 401 first
      throw new ApiError(400, 'VALIDATION_ERROR', normalized.error);
    }
    const recorded = await recordDeviceEvent(c.env, who, normalized.value, (p) => c.executionCtx.waitUntil(p));
    if (!recorded.authorized) {
      await slot.refund();
      throw INVALID_SECRET();
    }
    return c.json({ success: true as const, event: normalized.value.event.event, eventId: recorded.eventId, duplicate: recorded.duplicate }, 200);
  })
  .openapi(outboxRoute, async (c) => {
    const device = await authenticateDevice(c);
    const { limit, wait } = c.req.valid('query');
    const deadline = Date.now() + wait * 1000; // from the request's start: the answer never runs past the wait asked for
    // work stranded on this account's silent devices moves (to this one, if it has room)
    for (const deviceId of await moveFromSilentSoon(c.env, device.userId, device.deviceId))
      if (deviceId !== device.deviceId) c.executionCtx.waitUntil(wakeDevice(c.env, deviceId));
    // long-poll: woken by the device's hub when work is queued for it. `since` is taken before each claim,
    // so work queued while a claim runs wakes the wait at once (a claim that lost a race waits again)
    let since = Date.now();
    let items = await claim(c.env, device.id, limit);
    while (!items.length && Date.now() < deadline) {
      const woke = await c.env.DEVICE_HUB.getByName(`device:${device.deviceId}`)
        .wait(deadline - Date.now(), since)
        .catch(() => false); // the hub away (a deploy): the answer is simply empty
      if (!woke) break;
      since = Date.now();
      items = await claim(c.env, device.id, limit);
    }
    return c.json(
      {
        messages: items.map((m) => ({
          id: m.id,
          type: m.kind === 'ussd' ? ('ussd' as const) : ('message' as const),
          channel: m.channel,
          to: m.to,
          sim: m.sim,
          message: m.message,
          leaseUntil: m.lease_until,
          leaseMs: Math.max(0, m.lease_until - Date.now()),
        })),
      },
      200,
    );
  })
  .openapi(simsRoute, async (c) => {
    const body = c.req.valid('json');
    const device = await authenticateDevice(c, body.secret);
    const now = Date.now();
    const slots = body.sims.map((s) => s.slot);
    await c.env.DB.batch([
      c.env.DB.prepare('DELETE FROM device_sims WHERE device_ref = ? AND slot NOT IN (SELECT value FROM json_each(?))').bind(device.id, JSON.stringify(slots)),
      ...body.sims.map((s) =>
        c.env.DB.prepare(
          `INSERT INTO device_sims (device_ref, slot, carrier, number, daily_quota, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
           ON CONFLICT (device_ref, slot) DO UPDATE SET carrier = ?3, number = ?4, updated_at = ?6,
             daily_quota = CASE WHEN ?7 THEN ?5 ELSE device_sims.daily_quota END`,
        ).bind(device.id, s.slot, s.carrier ?? null, s.number ?? null, s.dailyQuota ?? null, now, s.dailyQuota === undefined ? 0 : 1),
      ),
    ]);
    return c.json({ success: true as const, sims: body.sims.length }, 200);
  })
  .openapi(reportRoute, async (c) => {
    const body = c.req.valid('json');
    const device = await authenticateDevice(c, body.secret);
    const { id } = c.req.valid('param');
    const db = getDb(c.env.DB);
    const [item] = await db.select().from(deviceOutbox).where(eq(deviceOutbox.id, id)).limit(1);
    if (item && item.deviceRef !== device.id && item.movedFrom === device.id) {
      // this device went silent and the work went to another: its report is refused, and it is told to drop it
      throw new ApiError(409, 'WORK_MOVED', 'This work was moved to another device while this one was silent; do not send it');
    }
    if (!item || item.deviceRef !== device.id) throw new ApiError(404, 'NOT_FOUND', 'No such outbound message for this device');
    if (item.kind !== 'reply') return c.json(await reportWork(c, device, item, body), 200);
    const now = Date.now();
    const from: ('pending' | 'sending' | 'sent')[] = body.status === 'delivered' ? ['sending', 'sent'] : ['pending', 'sending'];
    const next = body.status === 'failed' ? 'failed' : 'sent';
    const changed = await db
      .update(deviceOutbox)
      .set({ status: next, error: body.error ?? null, updatedAt: now, leaseUntil: null })
      .where(and(eq(deviceOutbox.id, id), inArray(deviceOutbox.status, from)))
      .returning({ id: deviceOutbox.id });
    const messageId = `out_${item.id}`;
    const event: WebhookEvent =
      body.status === 'sent'
        ? {
            event: 'message_sent',
            data: {
              from: device.deviceId,
              to: item.to,
              body: item.message,
              message: item.message,
              timestamp: now,
              type: 'sent_message',
              channel: item.channel,
              messageId,
              deviceId: device.deviceId,
            },
          }
        : {
            event: 'message_ack',
            data: {
              messageId,
              from: device.deviceId,
              to: item.to,
              ack: body.status === 'failed' ? -1 : 2,
              status: body.status,
              timestamp: now,
              type: 'message_ack',
              channel: item.channel,
              ...(body.error ? { error: body.error } : {}),
            },
          };
    // Keyed by message and outcome: a repeated report never emits twice.
    if (changed.length)
      await recordDeviceEvent(
        c.env,
        { deviceId: device.deviceId, secretHash: device.secretHash },
        { event, dedupeKey: `outbox:${item.id}:${body.status}` },
        (p) => c.executionCtx.waitUntil(p),
      );
    return c.json({ success: true as const, id: item.id, status: changed.length ? next : item.status, changed: changed.length > 0 }, 200);
  });
