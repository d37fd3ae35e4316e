// How long records are kept; the cron tick deletes older ones in bounded batches (a backlog drains over
// a few ticks instead of one long write).
import type { Bindings } from '../env.ts';

const DAY = 86_400_000;

/** Per table: what may go, and after how long. Messages, calls and scheduled rows are kept (history). */
export const RETENTION = [
  { table: 'audit_log', where: 'created_at < ?', keepMs: 90 * DAY },
  { table: 'device_events', where: 'created_at < ?', keepMs: 30 * DAY },
  // delivered and dead deliveries only: pending and paused ones are still owed to their endpoint
  { table: 'webhook_deliveries', where: "status IN ('delivered', 'dead') AND created_at < ?", keepMs: 30 * DAY },
  { table: 'idempotency_keys', where: 'created_at < ?', keepMs: DAY },
  // a device's finished work (replies, SMS sends, USSD requests): its history shows in GET /api/sms for 90 days
  { table: 'device_outbox', where: "status IN ('sent', 'delivered', 'failed') AND created_at < ?", keepMs: 90 * DAY },
  { table: 'send_fallbacks', where: 'done_at IS NOT NULL AND due_at < ?', keepMs: 90 * DAY },
  // rules: finished runs (the run log) and the matched events they name, 30 days; pending work stays
  { table: 'rule_runs', where: "status != 'pending' AND created_at < ?", keepMs: 30 * DAY },
  { table: 'rule_events', where: 'matched_at IS NOT NULL AND created_at < ?', keepMs: 30 * DAY },
  { table: 'sessions', where: 'expires_at < ?', keepMs: 0 },
] as const;

export const PURGE_BATCH = 5000;

/** One bounded pass over every table; answers how many rows went from each. */
export async function purgeExpired(env: Bindings, now = Date.now()): Promise<Record<string, number>> {
  const results = await env.DB.batch(
    RETENTION.map((r) =>
      env.DB.prepare(`DELETE FROM ${r.table} WHERE rowid IN (SELECT rowid FROM ${r.table} WHERE ${r.where} LIMIT ?)`).bind(now - r.keepMs, PURGE_BATCH),
    ),
  );
  return Object.fromEntries(RETENTION.map((r, i) => [r.table, results[i]?.meta.changes ?? 0]));
}
