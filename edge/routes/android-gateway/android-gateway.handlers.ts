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
import { ingressRoute, outboxRoute, reportRoute } from './android-gateway.routes.ts';

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
  return device;
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
      await slot.stub.refund(); // authenticateDevice takes the device's slot, for a right secret only
      await authenticateDevice(c, parsed.ok ? parsed.value.secret : undefined); // a wrong secret is a 401 first
      throw new ApiError(400, 'VALIDATION_ERROR', normalized.error);
    }
    const recorded = await recordDeviceEvent(c.env, who, normalized.value, (p) => c.executionCtx.waitUntil(p));
    if (!recorded.authorized) {
      await slot.stub.refund();
      throw INVALID_SECRET();
    }
    return c.json({ success: true as const, event: normalized.value.event.event, eventId: recorded.eventId, duplicate: recorded.duplicate }, 200);
  })
  .openapi(outboxRoute, async (c) => {
    const device = await authenticateDevice(c);
    const { limit } = c.req.valid('query');
    const now = Date.now();
    const res = await c.env.DB.prepare(
      `UPDATE device_outbox SET status = 'sending', lease_until = ?1, updated_at = ?2
       WHERE id IN (SELECT id FROM device_outbox WHERE device_ref = ?3
                    AND (status = 'pending' OR (status = 'sending' AND lease_until < ?2)) ORDER BY id LIMIT ?4)
       RETURNING id, channel, "to", sim, message`,
    )
      .bind(now + OUTBOX_LEASE_MS, now, device.id, limit)
      .all<{ id: number; channel: 'sms' | 'whatsapp'; to: string; sim: number | null; message: string }>();
    return c.json({ messages: res.results.sort((a, b) => a.id - b.id) }, 200);
  })
  .openapi(reportRoute, async (c) => {
    const body = c.req.valid('json');
    const device = await authenticateDevice(c, body.secret);
    const { id } = c.req.valid('param');
    const db = getDb(c.env.DB);
    const [item] = await db
      .select()
      .from(deviceOutbox)
      .where(and(eq(deviceOutbox.id, id), eq(deviceOutbox.deviceRef, device.id)))
      .limit(1);
    if (!item) throw new ApiError(404, 'NOT_FOUND', 'No such outbound message for this device');
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
