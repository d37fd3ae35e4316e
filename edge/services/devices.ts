// Android companion devices: lookups scoped to their owner, and by the secret they present.
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { devices } from '../db/schema.ts';
import type { AuthContext } from '../env.ts';
import { ApiError } from '../lib/errors.ts';
import { randomToken, sha256Hex } from '../lib/secrets.ts';

export type DeviceRow = typeof devices.$inferSelect;

export const newDeviceId = () => randomToken(8, 'dev_');
export const newDeviceSecret = () => randomToken(20, 'sbd_');

export async function findOwnDevice(db: Db, auth: AuthContext, deviceId: string): Promise<DeviceRow> {
  const [row] = await db
    .select()
    .from(devices)
    .where(and(eq(devices.userId, auth.userId), eq(devices.deviceId, deviceId)))
    .limit(1);
  if (!row) throw new ApiError(404, 'DEVICE_NOT_FOUND', 'Device not found');
  return row;
}

export async function deviceBySecret(db: Db, secret: string): Promise<DeviceRow | undefined> {
  if (secret.length < 8 || secret.length > 256) return undefined;
  const [row] = await db.select().from(devices).where(eq(devices.secretHash, await sha256Hex(secret))).limit(1);
  return row;
}
