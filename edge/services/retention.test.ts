// Retention: old records go in bounded batches on the cron tick; repeated failures fold into one row.
import { createExecutionContext, createScheduledController, env, waitOnExecutionContext } from 'cloudflare:test';
import { expect, it } from 'vitest';
import worker from '../index.ts';
import { call, newDevice, newUser } from '../test/helpers.ts';
import { RETENTION } from './retention.ts';

const DAY = 86_400_000;
const count = async (sql: string, ...binds: unknown[]) =>
  (await env.DB.prepare(sql)
    .bind(...binds)
    .first<{ n: number }>())!.n;

it('the cron tick deletes what is past its retention and keeps the rest', async () => {
  const u = await newUser();
  const userId = (await env.DB.prepare('SELECT id FROM users WHERE username = ?').bind(u.username).first<{ id: number }>())!.id;
  const old = Date.now() - 200 * DAY;
  const recent = Date.now() - 1000;
  const device = await newDevice(u.apiKey);
  const deviceRef = (await env.DB.prepare('SELECT id FROM devices WHERE device_id = ?').bind(device.deviceId).first<{ id: number }>())!.id;
  for (const at of [old, recent]) {
    // a device's finished work goes after 90 days; what is still waiting stays, however old
    for (const status of ['delivered', 'pending'])
      await env.DB.prepare(
        `INSERT INTO device_outbox (device_ref, channel, "to", message, status, kind, created_at) VALUES (?, 'sms', '+15550001', 'probe', ?, 'send', ?)`,
      )
        .bind(deviceRef, status, at)
        .run();
    await env.DB.batch([
      env.DB.prepare("INSERT INTO audit_log (user_id, category, event, message, created_at) VALUES (?, 'app', 'retention_probe', 'x', ?)").bind(userId, at),
      env.DB.prepare("INSERT INTO idempotency_keys (user_id, key, request_hash, created_at) VALUES (?, ?, 'h', ?)").bind(userId, `probe-${at}`, at),
      env.DB.prepare(
        "INSERT INTO webhook_deliveries (id, user_id, endpoint, event, payload, status, next_attempt_at, created_at) VALUES (?, ?, 'client:0', 'probe', '{}', 'delivered', 0, ?)",
      ).bind(`msg_probe_d_${at}`, userId, at),
      env.DB.prepare(
        "INSERT INTO webhook_deliveries (id, user_id, endpoint, event, payload, status, next_attempt_at, created_at) VALUES (?, ?, 'client:0', 'probe', '{}', 'paused', 0, ?)",
      ).bind(`msg_probe_p_${at}`, userId, at),
    ]);
  }
  // a rule's finished runs and matched events go after 30 days; a run still owed its actions stays
  const ruleRef = (await env.DB.prepare(
    "INSERT INTO rules (public_id, user_id, name, position, event, trigger, actions, max_runs_per_minute, updated_at) VALUES (?, ?, 'probe', 1, 'sms_received', '{}', '[]', 20, 0) RETURNING id",
  )
    .bind(`rul_probe${Date.now()}`, userId)
    .first<{ id: number }>())!.id;
  for (const at of [old, recent])
    await env.DB.batch([
      env.DB.prepare(
        "INSERT INTO rule_runs (id, rule_ref, user_id, event_id, status, steps, next_at, created_at) VALUES (?, ?, ?, 'evt_x', 'done', '[]', 0, ?)",
      ).bind(`run_probe_d_${at}`, ruleRef, userId, at),
      env.DB.prepare(
        "INSERT INTO rule_runs (id, rule_ref, user_id, event_id, status, steps, next_at, created_at) VALUES (?, ?, ?, 'evt_x', 'pending', '[]', ?, ?)",
      ).bind(`run_probe_p_${at}`, ruleRef, userId, Date.now() + DAY, at),
      env.DB.prepare("INSERT INTO rule_events (id, user_id, event, payload, matched_at, created_at) VALUES (?, ?, 'probe', '{}', ?, ?)").bind(
        `evt_probe_${at}`,
        userId,
        at,
        at,
      ),
    ]);
  const ctx = createExecutionContext();
  await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: '* * * * *' }), env, ctx);
  await waitOnExecutionContext(ctx);
  expect(await count("SELECT count(*) AS n FROM audit_log WHERE event = 'retention_probe'")).toBe(1);
  expect(await count("SELECT count(*) AS n FROM idempotency_keys WHERE key LIKE 'probe-%'")).toBe(1);
  // a paused delivery is still owed to its endpoint, however old
  expect(await count("SELECT count(*) AS n FROM webhook_deliveries WHERE id LIKE 'msg_probe_d_%'")).toBe(1);
  expect(await count("SELECT count(*) AS n FROM webhook_deliveries WHERE id LIKE 'msg_probe_p_%'")).toBe(2);
  expect(await count("SELECT count(*) AS n FROM device_outbox WHERE message = 'probe' AND status = 'delivered'")).toBe(1);
  expect(await count("SELECT count(*) AS n FROM device_outbox WHERE message = 'probe' AND status = 'pending'")).toBe(2);
  expect(await count("SELECT count(*) AS n FROM rule_runs WHERE id LIKE 'run_probe_d_%'")).toBe(1);
  expect(await count("SELECT count(*) AS n FROM rule_runs WHERE id LIKE 'run_probe_p_%'")).toBe(2);
  expect(await count("SELECT count(*) AS n FROM rule_events WHERE id LIKE 'evt_probe_%'")).toBe(1);
  expect(RETENTION.map((r) => r.table)).toEqual([
    'audit_log',
    'device_events',
    'webhook_deliveries',
    'idempotency_keys',
    'device_outbox',
    'send_fallbacks',
    'rule_runs',
    'rule_events',
    'sessions',
  ]);
});

it('a flood of bad keys from one address is one audit row with a count, not one row each', async () => {
  const ip = '203.0.113.77';
  const before = await count('SELECT count(*) AS n FROM audit_log WHERE ip = ?', ip);
  for (let i = 0; i < 30; i++) expect((await call('/api/clients', { key: `sba_wrong_${i}_0123456789abcdef`, ip })).status).toBe(401);
  expect((await count('SELECT count(*) AS n FROM audit_log WHERE ip = ?', ip)) - before).toBe(1);
  expect(await count("SELECT count AS n FROM audit_log WHERE ip = ? AND event = 'auth_failed'", ip)).toBe(30);
});
