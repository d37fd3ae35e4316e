// Android companion devices: lookups scoped to their owner, and by the secret they present.
// A secret names its device (`sbd_<device hex>_<random>`), so the ingress path needs no lookup
// before its one write batch, which checks the secret's hash itself.
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { devices } from '../db/schema.ts';
import type { AuthContext } from '../env.ts';
import { ApiError } from '../lib/errors.ts';
import { randomToken, sha256Hex } from '../lib/secrets.ts';

export type DeviceRow = typeof devices.$inferSelect;

export const newDeviceId = () => randomToken(8, 'dev_');
export const newDeviceSecret = (deviceId: string) => randomToken(20, `sbd_${deviceId.replace(/^dev_/, '')}_`);

export interface PresentedSecret {
  deviceId: string;
  secretHash: string;
}

/** The device a secret claims to be, and the hash to check it by; undefined when it is not a device secret. */
export async function parseDeviceSecret(secret: string): Promise<PresentedSecret | undefined> {
  const m = /^sbd_([0-9a-f]{16})_[0-9a-f]{40}$/.exec(secret);
  return m ? { deviceId: `dev_${m[1]}`, secretHash: await sha256Hex(secret) } : undefined;
}

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
  const presented = await parseDeviceSecret(secret);
  if (!presented) return undefined;
  const [row] = await db
    .select()
    .from(devices)
    .where(and(eq(devices.deviceId, presented.deviceId), eq(devices.secretHash, presented.secretHash)))
    .limit(1);
  return row;
}
