// SMS and USSD on demand through the account's Android devices. A send names a device (and SIM) or is
// routed: to a healthy device (seen within HEALTHY_MS) with a SIM under its daily quota, the one with the
// fewest queued. Work waits in the device outbox (D1) until the device takes it (long-poll, woken by its
// DeviceHub); routed work whose device goes silent moves to a healthy one, and the silent device's late
// report for it is refused (it is told the work moved). Segments are counted as the network will.
import { smsSegments } from '../../adapters/sms-segments.ts';
import type { Bindings } from '../env.ts';
import { ApiError } from '../lib/errors.ts';
import { randomToken } from '../lib/secrets.ts';
import { ussdEvent } from './ussd-event.ts';
import { recordDeviceEvent } from './device-events.ts';

/** A device is healthy (may be given work) when seen this recently: a long-poll keeps it fresh. */
export const HEALTHY_MS = 90_000;
/** Routed work of a device not seen this long moves to another (its claim has lapsed by then too). */
export const SILENT_MS = 120_000;
/** A USSD request not answered by then fails. */
export const USSD_TIMEOUT_MS = 60_000;
/** How long a device's claim on a piece of work lasts: it must not send it after that (it asks again). */
export const CLAIM_MS = 60_000;

export interface SmsInput {
  to: string;
  message: string;
  deviceId?: string;
  sim?: number;
  /** ISO time; not offered to the device before */
  scheduleTime?: string;
}

interface DeviceCandidate {
  id: number;
  device_id: string;
  queued: number;
  last_seen_at: number | null;
}

const startOfDay = (now: number) => now - (now % 86_400_000);

/** What a SIM's quota counts today: sent today, plus waiting work that may go today (not what is scheduled for later days). */
const USED_TODAY = `(SELECT count(*) FROM device_outbox o WHERE o.device_ref = s.device_ref AND o.sim = s.slot AND o.kind = 'send'
  AND ((o.status IN ('pending', 'sending') AND (o.not_before IS NULL OR o.not_before < ?3)) OR o.sent_at >= ?2))`;

export const newSmsId = () => randomToken(8, 'sms_');
export const newUssdId = () => randomToken(8, 'ussd_');

/** A SIM of the device with room under its quota today (null: the device's default SIM when it reported none). */
async function simWithRoom(
  env: Bindings,
  deviceRef: number,
  wanted: number | undefined,
  now: number,
): Promise<{ ok: true; sim: number | null } | { ok: false; why: string }> {
  const { results } = await env.DB.prepare(
    `SELECT s.slot, s.daily_quota,
       ${USED_TODAY} AS used
     FROM device_sims s WHERE s.device_ref = ?1 ORDER BY s.slot`,
  )
    .bind(deviceRef, startOfDay(now), startOfDay(now) + 86_400_000)
    .all<{ slot: number; daily_quota: number | null; used: number }>();
  if (!results.length) return wanted === undefined ? { ok: true, sim: null } : { ok: true, sim: wanted };
  const room = (r: { daily_quota: number | null; used: number }) => r.daily_quota === null || r.used < r.daily_quota;
  if (wanted !== undefined) {
    const sim = results.find((r) => r.slot === wanted);
    if (!sim) return { ok: false, why: `the device has no SIM ${wanted}` };
    return room(sim) ? { ok: true, sim: wanted } : { ok: false, why: `SIM ${wanted} reached its daily quota of ${sim.daily_quota}` };
  }
  // the SIM with the most room left
  const open = results.filter(room).sort((a, b) => (b.daily_quota ?? 1e9) - b.used - ((a.daily_quota ?? 1e9) - a.used));
  return open[0] ? { ok: true, sim: open[0].slot } : { ok: false, why: 'every SIM reached its daily quota' };
}

/** Where a send goes: the named device (its SIM checked), or the healthy device with room and the fewest queued. */
export async function chooseDevice(
  env: Bindings,
  userId: number,
  want: { deviceId?: string; sim?: number },
  now = Date.now(),
  exclude?: number,
): Promise<{ deviceRef: number; deviceId: string; sim: number | null; routed: boolean }> {
  if (want.deviceId) {
    const row = await env.DB.prepare('SELECT id, device_id FROM devices WHERE user_id = ? AND device_id = ?')
      .bind(userId, want.deviceId)
      .first<{ id: number; device_id: string }>();
    if (!row) throw new ApiError(404, 'DEVICE_NOT_FOUND', 'Device not found');
    const sim = await simWithRoom(env, row.id, want.sim, now);
    if (!sim.ok) throw new ApiError(429, 'QUOTA_EXCEEDED', `Device ${row.device_id}: ${sim.why}`);
    return { deviceRef: row.id, deviceId: row.device_id, sim: sim.sim, routed: false };
  }
  const { results } = await env.DB.prepare(
    `SELECT d.id, d.device_id, d.last_seen_at,
       (SELECT count(*) FROM device_outbox o WHERE o.device_ref = d.id AND o.status IN ('pending', 'sending')) AS queued
     FROM devices d WHERE d.user_id = ?1 AND d.id != ?2 ORDER BY queued, d.id`,
  )
    .bind(userId, exclude ?? 0)
    .all<DeviceCandidate>();
  if (!results.length) throw new ApiError(409, 'NO_DEVICE', 'No Android device is registered to send through (POST /api/devices)');
  const healthy = results.filter((d) => d.last_seen_at !== null && now - d.last_seen_at < HEALTHY_MS);
  let over = 0;
  for (const d of healthy) {
    const sim = await simWithRoom(env, d.id, want.sim, now);
    if (sim.ok) return { deviceRef: d.id, deviceId: d.device_id, sim: sim.sim, routed: true };
    over++;
  }
  if (over) throw new ApiError(429, 'QUOTA_EXCEEDED', 'Every healthy device reached its daily quota on the SIMs it could use');
  throw new ApiError(409, 'NO_DEVICE_AVAILABLE', `No device was seen in the last ${HEALTHY_MS / 1000} s; it is not queued`);
}

export function scheduleAt(scheduleTime: string | undefined, now = Date.now()): number | null {
  if (!scheduleTime) return null;
  const at = Date.parse(scheduleTime);
  if (Number.isNaN(at)) throw new ApiError(400, 'VALIDATION_ERROR', 'scheduleTime: an ISO 8601 time');
  if (at > now + 366 * 86_400_000) throw new ApiError(400, 'VALIDATION_ERROR', 'scheduleTime: within a year');
  return at > now ? at : null;
}

/**
 * Queues one SMS; answers its row id and public id. The device is woken by the caller (`wakeDevice`).
 * `from.id` (derived from a cause: a rule's run) makes it idempotent: queued again, it is the same SMS.
 */
export async function queueSms(env: Bindings, userId: number, input: SmsInput, from: { fallbackOf?: string; id?: string; ruleRun?: string } = {}) {
  const now = Date.now();
  const notBefore = scheduleAt(input.scheduleTime, now);
  const counted = smsSegments(input.message);
  if (from.id) {
    // asked again for the same SMS (a crash before its caller wrote that it was queued): it is that SMS, not a new choice of device
    const queued = await env.DB.prepare(
      'SELECT o.sim, o.not_before, o.created_at, d.device_id FROM device_outbox o JOIN devices d ON d.id = o.device_ref WHERE o.public_id = ? AND o.user_id = ?',
    )
      .bind(from.id, userId)
      .first<{ sim: number | null; not_before: number | null; created_at: number; device_id: string }>();
    if (queued)
      return { id: from.id, deviceId: queued.device_id, sim: queued.sim, segments: counted, notBefore: queued.not_before, createdAt: queued.created_at };
  }
  const target = await chooseDevice(env, userId, input, now);
  const id = from.id ?? newSmsId();
  await env.DB.prepare(
    `INSERT INTO device_outbox (device_ref, channel, "to", sim, message, status, kind, public_id, user_id, routed, segments, encoding, not_before, fallback_of, rule_run, created_at)
     VALUES (?, 'sms', ?, ?, ?, 'pending', 'send', ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  )
    .bind(
      target.deviceRef,
      input.to,
      target.sim,
      input.message,
      id,
      userId,
      target.routed ? 1 : 0,
      counted.segments,
      counted.encoding,
      notBefore,
      from.fallbackOf ?? null,
      from.ruleRun ?? null,
      now,
    )
    .run();
  return { id, deviceId: target.deviceId, sim: target.sim, segments: counted, notBefore, createdAt: now };
}

export async function queueUssd(env: Bindings, userId: number, input: { deviceId: string; sim?: number; code: string }) {
  const now = Date.now();
  // a USSD code is not an SMS: no quota applies, only the device must be this account's
  const target = await env.DB.prepare('SELECT id AS deviceRef, device_id AS deviceId FROM devices WHERE user_id = ? AND device_id = ?')
    .bind(userId, input.deviceId)
    .first<{ deviceRef: number; deviceId: string }>();
  if (!target) throw new ApiError(404, 'DEVICE_NOT_FOUND', 'Device not found');
  const id = newUssdId();
  await env.DB.prepare(
    `INSERT INTO device_outbox (device_ref, channel, "to", sim, message, status, kind, public_id, user_id, routed, deadline, created_at)
     VALUES (?, 'sms', ?, ?, ?, 'pending', 'ussd', ?, ?, 0, ?, ?)`,
  )
    .bind(target.deviceRef, input.code, input.sim ?? null, input.code, id, userId, now + USSD_TIMEOUT_MS, now)
    .run();
  return { id, deviceId: target.deviceId, deadline: now + USSD_TIMEOUT_MS };
}

/** Wakes a device's long-poll (never fails the caller). */
export const wakeDevice = (env: Bindings, deviceId: string): Promise<unknown> =>
  env.DEVICE_HUB.getByName(`device:${deviceId}`)
    .notify()
    .catch((err: unknown) => console.error('waking a device failed', err));

/**
 * Routed work of the account's silent devices (not seen for SILENT_MS) moves to healthy ones: what is
 * pending, and what was claimed but whose claim lapsed (a device must not send work after its claim).
 * Answers the devices to wake.
 */
/** When each account's silent-device sweep last ran in this isolate, per caller (its sends, or one device's polls). */
const sweptAt = new Map<string, number>();

/** The sweep below, at most every 10 s per account, caller and isolate (the cron runs it every minute regardless). */
export function moveFromSilentSoon(env: Bindings, userId: number, caller: string, now = Date.now()): Promise<string[]> {
  const key = `${userId}:${caller}`;
  if (now - (sweptAt.get(key) ?? 0) < 10_000) return Promise.resolve([]);
  sweptAt.set(key, now);
  if (sweptAt.size > 10_000) sweptAt.clear();
  return moveFromSilent(env, userId, now);
}

export async function moveFromSilent(env: Bindings, userId?: number, now = Date.now(), limit = userId === undefined ? 200 : 20): Promise<string[]> {
  const { results } = await env.DB.prepare(
    `SELECT o.id, o.user_id, o.device_ref, o.sim FROM device_outbox o JOIN devices d ON d.id = o.device_ref
     WHERE o.routed = 1 AND o.kind = 'send' AND (d.last_seen_at IS NULL OR d.last_seen_at < ?1)
       AND (o.status = 'pending' OR (o.status = 'sending' AND o.lease_until < ?2)) ${userId === undefined ? '' : 'AND o.user_id = ?3'}
     ORDER BY o.id LIMIT ${Math.floor(limit)}`,
  )
    .bind(now - SILENT_MS, now, ...(userId === undefined ? [] : [userId]))
    .all<{ id: number; user_id: number; device_ref: number; sim: number | null }>();
  const woken = new Set<string>();
  for (const row of results) {
    let target: Awaited<ReturnType<typeof chooseDevice>>;
    try {
      target = await chooseDevice(env, row.user_id, {}, now, row.device_ref);
    } catch {
      continue; // nowhere healthy to go: it waits
    }
    // only if still where it was (a report or another move may have come first)
    const moved = await env.DB.prepare(
      `UPDATE device_outbox SET device_ref = ?1, sim = ?2, moved_from = ?3, status = 'pending', lease_until = NULL, updated_at = ?4
       WHERE id = ?5 AND device_ref = ?3 AND (status = 'pending' OR (status = 'sending' AND lease_until < ?4))`,
    )
      .bind(target.deviceRef, target.sim, row.device_ref, now, row.id)
      .run();
    if (moved.meta.changes) woken.add(target.deviceId);
  }
  return [...woken];
}

const USSD_TIMED_OUT = 'no answer from the device in time';

/** USSD requests past their deadline fail, each with a `ussd_response` webhook saying so (answers how many). */
export async function expireUssd(env: Bindings, now = Date.now(), waitUntil?: (p: Promise<unknown>) => void, userId?: number): Promise<number> {
  const { results } = await env.DB.prepare(
    `UPDATE device_outbox SET status = 'failed', error = ?2, updated_at = ?1
     WHERE id IN (SELECT id FROM device_outbox WHERE kind = 'ussd' AND status IN ('pending', 'sending') AND deadline < ?1
                  ${userId === undefined ? '' : 'AND user_id = ?3'} LIMIT 50)
     RETURNING id, public_id, "to", sim, device_ref`,
  )
    .bind(now, USSD_TIMED_OUT, ...(userId === undefined ? [] : [userId]))
    .all<{ id: number; public_id: string; to: string; sim: number | null; device_ref: number }>();
  for (const r of results) {
    const device = await env.DB.prepare('SELECT device_id, secret_hash FROM devices WHERE id = ?')
      .bind(r.device_ref)
      .first<{ device_id: string; secret_hash: string }>();
    if (!device) continue;
    await recordDeviceEvent(
      env,
      { deviceId: device.device_id, secretHash: device.secret_hash },
      { event: ussdEvent({ publicId: r.public_id, to: r.to, sim: r.sim }, device.device_id, now, { error: USSD_TIMED_OUT }), dedupeKey: `work:${r.id}:failed` },
      waitUntil ?? (() => {}),
    );
  }
  return results.length;
}

/** Cron: routed work of silent devices moves (their new devices are woken), and USSD requests past their deadline fail. */
export async function sweepDevices(env: Bindings): Promise<void> {
  try {
    const woken = await moveFromSilent(env);
    await Promise.all(woken.map((deviceId) => wakeDevice(env, deviceId)));
  } catch (err) {
    console.error("moving silent devices' work failed", err);
  }
  try {
    await expireUssd(env);
  } catch (err) {
    console.error('expiring USSD requests failed', err);
  }
}

/** For the device list: each device's queued work and its SIMs with what went through them today. */
export async function deviceFleet(env: Bindings, userId: number, now = Date.now()) {
  const [queued, sims] = await env.DB.batch([
    env.DB.prepare(
      `SELECT o.device_ref, count(*) AS n FROM device_outbox o JOIN devices d ON d.id = o.device_ref
       WHERE d.user_id = ? AND o.status IN ('pending', 'sending') GROUP BY o.device_ref`,
    ).bind(userId),
    env.DB.prepare(
      `SELECT s.device_ref, s.slot, s.carrier, s.number, s.daily_quota,
         ${USED_TODAY} AS used
       FROM device_sims s JOIN devices d ON d.id = s.device_ref WHERE d.user_id = ?1 ORDER BY s.device_ref, s.slot`,
    ).bind(userId, startOfDay(now), startOfDay(now) + 86_400_000),
  ]);
  const bySims = new Map<number, { slot: number; carrier: string | null; number: string | null; dailyQuota: number | null; sentToday: number }[]>();
  for (const r of (sims?.results ?? []) as {
    device_ref: number;
    slot: number;
    carrier: string | null;
    number: string | null;
    daily_quota: number | null;
    used: number;
  }[]) {
    bySims.set(r.device_ref, [
      ...(bySims.get(r.device_ref) ?? []),
      { slot: r.slot, carrier: r.carrier, number: r.number, dailyQuota: r.daily_quota, sentToday: r.used },
    ]);
  }
  return {
    queued: new Map(((queued?.results ?? []) as { device_ref: number; n: number }[]).map((r) => [r.device_ref, r.n])),
    sims: bySims,
  };
}
