// Events kept for the account's rules. The insert joins the batch that records the event itself (so an
// event is never recorded without it), is written only when one of the account's rules names that event,
// and has an id derived from the event's cause (a repeated event is kept once). The account's RuleRunner
// object matches it afterwards: a wake-up after the batch, the cron sweep if that wake-up is lost.
import { sql } from 'drizzle-orm';
import type { ReplyRoute } from '../../adapters/android/index.ts';
import type { EventName, WebhookEvent } from '../../adapters/events.ts';
import { type Db, getDb } from '../db/client.ts';
import { ruleEvents } from '../db/schema.ts';
import type { Bindings } from '../env.ts';
import { sha256Hex } from '../lib/secrets.ts';
import { TtlCache } from '../lib/ttl-cache.ts';
import { wakeThinned } from '../lib/wake-window.ts';

/** Events rules are not offered (`RULE_EVENT_NAMES`): two acks follow every send (message_failed and sms_status tell outcomes). */
export const NOT_FOR_RULES: ReadonlySet<EventName> = new Set(['message_ack']);

export async function ruleEventId(cause: string): Promise<string> {
  return `evt_${(await sha256Hex(cause)).slice(0, 32)}`;
}

interface ClientSource {
  id: number;
  userId: number;
  clientId: string;
}

/** The insert for a WhatsApp client's event (null for events rules do not see), to batch with its cause. */
export async function clientRuleEvent(
  db: Db,
  client: ClientSource,
  event: WebhookEvent,
  cause: string,
  opts: { replyRoute?: ReplyRoute; fromRule?: boolean } = {},
) {
  if (NOT_FOR_RULES.has(event.event)) return null;
  // no rule names this event (as this isolate saw the account's rules a moment ago): nothing to keep
  if (!(await namesFor(db, client.userId, event.event)).any.has(event.event)) return null;
  const id = await ruleEventId(`client:${client.id}|${cause}`);
  const route = opts.replyRoute ? JSON.stringify(opts.replyRoute) : null;
  // wrapped: a query builder is thenable and would run if returned bare from an async function. The select
  // names every column in the table's order (drizzle's insert-select takes them all).
  const write = db
    .insert(ruleEvents)
    .select(
      sql`SELECT ${id}, ${client.userId}, ${event.event}, ${JSON.stringify(event)}, ${client.id}, NULL, ${client.clientId}, ${route}, ${opts.fromRule ? 1 : 0}, NULL, ${Date.now()}
        WHERE EXISTS (SELECT 1 FROM rules WHERE user_id = ${client.userId} AND event = ${event.event})`,
    )
    .onConflictDoNothing();
  return { write };
}

/** The same for a device's event: the device (and its owner) found by id and secret in the statement itself. */
export function deviceRuleEvent(
  d1: D1Database,
  who: { deviceId: string; secretHash: string },
  id: string,
  event: WebhookEvent,
  opts: { replyRoute?: ReplyRoute; fromRule?: boolean } = {},
): D1PreparedStatement {
  return d1
    .prepare(
      `INSERT INTO rule_events (id, user_id, event, payload, device_ref, source, reply_route, from_rule, created_at)
       SELECT ?1, d.user_id, ?2, ?3, d.id, d.device_id, ?4, ?5, ?6 FROM devices d
       WHERE d.device_id = ?7 AND d.secret_hash = ?8 AND ?9 = 0 AND EXISTS (SELECT 1 FROM rules r WHERE r.user_id = d.user_id AND r.event = ?2)
       ON CONFLICT DO NOTHING`,
    )
    .bind(
      id,
      event.event,
      JSON.stringify(event),
      opts.replyRoute ? JSON.stringify(opts.replyRoute) : null,
      opts.fromRule ? 1 : 0,
      Date.now(),
      who.deviceId,
      who.secretHash,
      NOT_FOR_RULES.has(event.event) ? 1 : 0,
    );
}

/**
 * Which events each account has rules for (any, and enabled ones), per isolate: a client event is kept for
 * rules only when one names it, so accounts without rules pay nothing per message, and the runner is woken
 * only for enabled ones. What a rule names is believed for 5 s; that no rule names an event, for 1 s only —
 * a rule saved in another isolate (the API's, while events are written by the number's objects) is seen
 * here within a second. A read that raced a change in this isolate is not cached.
 */
interface RuleNames {
  any: Set<string>;
  enabled: Set<string>;
  at: number;
}
const ruleEventNames = new TtlCache<number, RuleNames>(5_000, 10_000);
const NOT_NAMED_MS = 1_000;
let generation = 0;

export function forgetRuleEvents(userId: number): void {
  generation++;
  ruleEventNames.delete(userId);
}

async function namesFor(db: Db, userId: number, event: string): Promise<RuleNames> {
  const cached = ruleEventNames.get(userId);
  if (cached && (cached.any.has(event) || Date.now() - cached.at < NOT_NAMED_MS)) return cached;
  const before = generation;
  const results = await db.all<{ event: string; enabled: number }>(
    sql`SELECT event, max(enabled) AS enabled FROM rules WHERE user_id = ${userId} GROUP BY event`,
  );
  const names = { any: new Set(results.map((r) => r.event)), enabled: new Set(results.filter((r) => r.enabled).map((r) => r.event)), at: Date.now() };
  if (generation === before) ruleEventNames.set(userId, names);
  return names;
}

export function wakeRules(env: Bindings, userId: number, at?: number): Promise<void> {
  return env.RULE_RUNNER.getByName(`rules:${userId}`).wake(userId, at);
}

/** After a batch that may have kept an event for rules: wake the account's runner if a rule names it. */
export function wakeRulesAfter(env: Bindings, userId: number, event: string, waitUntil: (p: Promise<unknown>) => void): void {
  waitUntil(
    namesFor(getDb(env.DB), userId, event)
      .then((names) => (names.enabled.has(event) ? wakeThinned(`rules:${userId}`, () => wakeRules(env, userId)) : undefined))
      .catch((e) => console.error('rules wake-up failed; the cron sweep will retry', e)),
  );
}
