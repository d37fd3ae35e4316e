import { and, asc, desc, eq, lt } from 'drizzle-orm';
import { getDb } from '../../db/client.ts';
import { deviceEvents, devices } from '../../db/schema.ts';
import { audit } from '../../lib/audit.ts';
import { createRouter } from '../../lib/router.ts';
import { pageById, textBytes } from '../../lib/pages.ts';
import { isoOrNull as iso } from '../../lib/time.ts';
import { seal, sha256Hex } from '../../lib/secrets.ts';
import { findOwnDevice, newDeviceId, newDeviceSecret } from '../../services/devices.ts';
import { deviceFleet, HEALTHY_MS } from '../../services/sms-sends.ts';
import { saveWebhook } from '../../webhooks/endpoint.ts';
import { wake } from '../../webhooks/enqueue.ts';
import { createDeviceRoute, deleteDeviceRoute, deviceEventsRoute, deviceWebhookRoute, listDevicesRoute, rotateSecretRoute } from './devices.routes.ts';

export const devicesRouter = createRouter()
  .openapi(createDeviceRoute, async (c) => {
    const { name, webhookUrl } = c.req.valid('json');
    const auth = c.get('auth');
    const db = getDb(c.env.DB);
    const deviceId = newDeviceId();
    const secret = newDeviceSecret(deviceId);
    const [row] = await db
      .insert(devices)
      .values({ deviceId, userId: auth.userId, name, secretHash: await sha256Hex(secret), secretSealed: await seal(c.env.SEAL_KEY, secret) })
      .returning();
    const saved = await saveWebhook(c.env, `device:${row!.id}`, row!, { webhookUrl }).catch(async (err) => {
      await db.delete(devices).where(eq(devices.id, row!.id));
      throw err;
    });
    await audit(c, { userId: auth.userId, category: 'app', event: 'device_added', message: `Registered device ${name} (${deviceId})` });
    return c.json({ deviceId, name, secret, webhookUrl: saved.webhookUrl, webhookSecret: saved.webhookSecret }, 201);
  })
  .openapi(listDevicesRoute, async (c) => {
    const userId = c.get('auth').userId;
    const rows = await getDb(c.env.DB).select().from(devices).where(eq(devices.userId, userId)).orderBy(asc(devices.id));
    const fleet = await deviceFleet(c.env, userId);
    const now = Date.now();
    return c.json(
      {
        devices: rows.map((d) => ({
          deviceId: d.deviceId,
          name: d.name,
          webhookUrl: d.webhookUrl,
          webhookDisabled: d.webhookDisabledAt !== null,
          lastSeenAt: iso(d.lastSeenAt),
          createdAt: iso(d.createdAt)!,
          healthy: d.lastSeenAt !== null && now - d.lastSeenAt < HEALTHY_MS,
          queued: fleet.queued.get(d.id) ?? 0,
          sims: fleet.sims.get(d.id) ?? [],
        })),
      },
      200,
    );
  })
  .openapi(deleteDeviceRoute, async (c) => {
    const auth = c.get('auth');
    const db = getDb(c.env.DB);
    const device = await findOwnDevice(db, auth, c.req.valid('param').deviceId);
    await db.delete(devices).where(eq(devices.id, device.id));
    await audit(c, { userId: auth.userId, category: 'security', event: 'device_deleted', message: `Removed device ${device.name} (${device.deviceId})` });
    return c.json({ success: true as const, message: 'Device removed.' }, 200);
  })
  .openapi(rotateSecretRoute, async (c) => {
    const auth = c.get('auth');
    const db = getDb(c.env.DB);
    const device = await findOwnDevice(db, auth, c.req.valid('param').deviceId);
    const secret = newDeviceSecret(device.deviceId);
    await db
      .update(devices)
      .set({ secretHash: await sha256Hex(secret), secretSealed: await seal(c.env.SEAL_KEY, secret) })
      .where(eq(devices.id, device.id));
    await audit(c, { userId: auth.userId, category: 'security', event: 'device_secret_rotated', message: `New secret for device ${device.deviceId}` });
    return c.json({ deviceId: device.deviceId, secret }, 200);
  })
  .openapi(deviceWebhookRoute, async (c) => {
    const auth = c.get('auth');
    const device = await findOwnDevice(getDb(c.env.DB), auth, c.req.valid('param').deviceId);
    const key = `device:${device.id}` as const;
    const saved = await saveWebhook(c.env, key, device, c.req.valid('json'));
    if (saved.resumed) c.executionCtx.waitUntil(wake(c.env, key));
    await audit(c, {
      userId: auth.userId,
      category: 'app',
      event: 'webhook_updated',
      message: `Webhook of device ${device.deviceId} set to ${saved.webhookUrl ?? 'none'}`,
    });
    return c.json({ success: true as const, deviceId: device.deviceId, webhookUrl: saved.webhookUrl, webhookSecret: saved.webhookSecret }, 200);
  })
  .openapi(deviceEventsRoute, async (c) => {
    const { type, limit, cursor } = c.req.valid('query');
    const db = getDb(c.env.DB);
    const device = await findOwnDevice(db, c.get('auth'), c.req.valid('param').deviceId);
    const page = await pageById(
      c,
      { limit, cursor },
      (before, take) =>
        db
          .select()
          .from(deviceEvents)
          .where(and(eq(deviceEvents.deviceRef, device.id), type ? eq(deviceEvents.event, type) : undefined, before ? lt(deviceEvents.id, before) : undefined))
          .orderBy(desc(deviceEvents.id))
          .limit(take),
      (r) => r.id,
      (r) => textBytes(r.payload),
    );
    return c.json(
      {
        events: page.map((r) => ({
          id: r.id,
          event: r.event,
          data: (JSON.parse(r.payload) as { data: Record<string, unknown> }).data,
          receivedAt: iso(r.createdAt)!,
        })),
      },
      200,
    );
  });
