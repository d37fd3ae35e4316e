// The account's rules at work, run by its RuleRunner object's alarm. Two steps, each durable in D1:
// 1. match: new events (rule_events) against the enabled rules in order → one run per (rule, event), its
//    id derived from both (matched again after a crash, it is the same run), the per-rule rate cap applied;
// 2. run: each due run's actions in order, the outcome of each written before the next starts. A run is
//    claimed by pushing its due time out by a lease, so a crash takes it up again where it stopped.
import type { ReplyRoute } from '../../adapters/android/index.ts';
import { WebhookEventSchema } from '../../adapters/events.ts';
import { batchAll } from '../db/client.ts';
import type { Bindings } from '../env.ts';
import { sha256Hex } from '../lib/secrets.ts';
import { type ActionOutcome, perform, type RunContext, type RunEvent } from './actions.ts';
import { eventSender, matchTrigger } from './match.ts';
import type { RuleAction } from './schema.ts';
import { loadRules, type StoredRule } from './store.ts';

export const LEASE_MS = 60_000;
/** An action that fails for a reason waiting can help is tried this many times in all. */
export const MAX_ATTEMPTS = 5;
/** Waits before the 2nd, 3rd, … attempt. */
export const BACKOFF_MS = [10_000, 60_000, 300_000, 900_000];
const MATCH_BATCH = 50;
/** Actions not started by the time their event is this old fail EXPIRED instead of going out late. */
export const MAX_EVENT_AGE_MS = 60 * 60_000;
const RUN_BATCH = 10;

export type StepStatus = 'pending' | 'sending' | 'done' | 'failed' | 'skipped';
export interface Step {
  action: RuleAction;
  status: StepStatus;
  attempts: number;
  code?: string;
  error?: string;
  result?: Record<string, unknown>;
  at?: number;
}

export async function runIdFor(ruleId: string, eventId: string): Promise<string> {
  return `run_${(await sha256Hex(`${ruleId}|${eventId}`)).slice(0, 32)}`;
}

/** An event kept for rules, as read from D1. */
export interface EventRow {
  id: string;
  event: string;
  payload: string;
  client_ref: number | null;
  device_ref: number | null;
  source: string | null;
  reply_route: string | null;
  from_rule: number;
  created_at: number;
}

export function toRunEvent(row: EventRow): RunEvent | null {
  const parsed = WebhookEventSchema.safeParse(JSON.parse(row.payload));
  if (!parsed.success) return null;
  return {
    id: row.id,
    event: parsed.data,
    clientRef: row.client_ref,
    deviceRef: row.device_ref,
    source: row.source,
    replyRoute: row.reply_route ? (JSON.parse(row.reply_route) as ReplyRoute) : null,
  };
}

export const matchContext = (row: Pick<EventRow, 'client_ref' | 'device_ref' | 'source' | 'from_rule' | 'created_at'>) => ({
  clientId: row.client_ref !== null ? row.source : null,
  deviceId: row.device_ref !== null ? row.source : null,
  fromRule: row.from_rule === 1,
  at: row.created_at,
});

/** Which rules an event starts, in order, until one with a `stop` action. */
export function rulesFor(all: StoredRule[], row: EventRow, ev: RunEvent, ownNumbers: ReadonlySet<string> = new Set()): StoredRule[] {
  const out: StoredRule[] = [];
  for (const rule of all) {
    if (!rule.enabled || rule.invalid || rule.trigger.event !== ev.event.event) continue;
    if (!matchTrigger(rule.trigger, ev.event, { ...matchContext(row), fromOwnNumber: ownNumbers.has(digitsOf(eventSender(ev.event))) }).ok) continue;
    out.push(rule);
    if (rule.actions.some((a) => a.type === 'stop')) break;
  }
  return out;
}

export const digitsOf = (s: string | null) => (s ?? '').replace(/\D/g, '');

/**
 * The account's own numbers (its WhatsApp numbers, its devices' SIMs), digits only: a message from one of
 * them is most likely a rule's own send coming back (a rule texting the account's other number).
 */
export async function ownNumbersOf(env: Bindings, userId: number): Promise<Set<string>> {
  const { results } = await env.DB.prepare(
    `SELECT phone_number AS n FROM clients WHERE user_id = ?1 UNION SELECT connected_number FROM clients WHERE user_id = ?1
     UNION SELECT s.number FROM device_sims s JOIN devices d ON d.id = s.device_ref WHERE d.user_id = ?1`,
  )
    .bind(userId)
    .all<{ n: string | null }>();
  return new Set(results.map((r) => digitsOf(r.n?.replace(/@.*$/, '') ?? null)).filter((d) => d.length >= 6));
}

/** A rule capped in each of this many minutes in a row is switched off: a loop, not a busy day. */
export const CAPPED_MINUTES_TO_DISABLE = 5;

/** Switches off a rule that has been capped minute after minute, and says so in the audit log. */
async function disableIfStorming(env: Bindings, rule: StoredRule, now: number): Promise<void> {
  // counted since the rule was last saved (switched back on, it starts afresh); a loop has one or two
  // counterparts, a busy shop many senders: only the former switches the rule off
  const capped = await env.DB.prepare(
    `SELECT count(DISTINCT r.created_at / 60000) AS m, count(DISTINCT json_extract(e.payload, '$.data.from')) AS senders
     FROM rule_runs r LEFT JOIN rule_events e ON e.id = r.event_id
     WHERE r.rule_ref = ? AND r.status = 'skipped' AND r.reason LIKE 'RATE_CAPPED%' AND r.created_at > ?`,
  )
    .bind(rule.ref, Math.max(now - CAPPED_MINUTES_TO_DISABLE * 60_000, rule.updatedAt))
    .first<{ m: number; senders: number }>();
  if ((capped?.m ?? 0) < CAPPED_MINUTES_TO_DISABLE || (capped?.senders ?? 0) > 2) return;
  await env.DB.batch([
    env.DB.prepare('UPDATE rules SET enabled = 0, updated_at = ? WHERE id = ?').bind(now, rule.ref),
    env.DB.prepare("INSERT INTO audit_log (user_id, category, event, message) VALUES (?, 'app', 'rule_disabled', ?)").bind(
      rule.userId,
      `Rule ${rule.id} (${rule.name}) switched off: it reached its cap of ${rule.maxRunsPerMinute} runs a minute in ${CAPPED_MINUTES_TO_DISABLE} minutes in a row (a loop?)`,
    ),
  ]);
  rule.enabled = false;
}

/** Matches up to MATCH_BATCH new events; answers how many. */
async function matchNew(env: Bindings, userId: number, now: number): Promise<number> {
  const { results: events } = await env.DB.prepare(
    `SELECT id, event, payload, client_ref, device_ref, source, reply_route, from_rule, created_at FROM rule_events
     WHERE user_id = ? AND matched_at IS NULL ORDER BY created_at LIMIT ${MATCH_BATCH}`,
  )
    .bind(userId)
    .all<EventRow>();
  if (!events.length) return 0;
  const all = await loadRules(env, userId, { enabledOnly: true });
  const own = await ownNumbersOf(env, userId);
  const { results: counts } = await env.DB.prepare(
    `SELECT rule_ref, count(*) AS n FROM rule_runs WHERE user_id = ? AND created_at > ? AND status != 'skipped' GROUP BY rule_ref`,
  )
    .bind(userId, now - 60_000)
    .all<{ rule_ref: number; n: number }>();
  const recent = new Map(counts.map((c) => [c.rule_ref, c.n]));
  const capped = new Set<StoredRule>();
  const writes: D1PreparedStatement[] = [];
  const insert = env.DB.prepare(
    `INSERT INTO rule_runs (id, rule_ref, user_id, event_id, status, reason, steps, next_at, created_at, finished_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
  );
  for (const row of events) {
    const ev = toRunEvent(row);
    for (const rule of ev ? rulesFor(all, row, ev, own) : []) {
      const id = await runIdFor(rule.id, row.id);
      const n = recent.get(rule.ref) ?? 0;
      if (n >= rule.maxRunsPerMinute) {
        const why = `RATE_CAPPED: the rule ran ${n} times in the last minute (its cap is ${rule.maxRunsPerMinute})`;
        writes.push(insert.bind(id, rule.ref, userId, row.id, 'skipped', why, '[]', now, now, now));
        capped.add(rule);
        continue;
      }
      recent.set(rule.ref, n + 1);
      const steps: Step[] = rule.actions.map((action) => ({ action, status: 'pending', attempts: 0 }));
      writes.push(insert.bind(id, rule.ref, userId, row.id, 'pending', null, JSON.stringify(steps), now, now, null));
    }
    writes.push(env.DB.prepare('UPDATE rule_events SET matched_at = ? WHERE id = ?').bind(now, row.id));
  }
  await batchAll(env.DB, writes);
  for (const rule of capped) await disableIfStorming(env, rule, now);
  return events.length;
}

interface RunRow {
  id: string;
  rule_ref: number;
  event_id: string;
  steps: string;
  /** the lease this runner took it with: its saves count only while it still holds it */
  next_at: number;
}

async function claimRuns(env: Bindings, userId: number, now: number): Promise<RunRow[]> {
  const { results } = await env.DB.prepare(
    `UPDATE rule_runs SET next_at = ?1
     WHERE id IN (SELECT id FROM rule_runs WHERE user_id = ?2 AND status = 'pending' AND next_at <= ?3 ORDER BY next_at LIMIT ${RUN_BATCH})
     RETURNING id, rule_ref, event_id, steps, next_at`,
  )
    .bind(now + LEASE_MS, userId, now)
    .all<RunRow>();
  return results;
}

/** Writes the run's state, only while this runner still holds it (its lease unchanged, the run not deleted); answers whether it did. */
async function save(
  env: Bindings,
  held: { lease: number },
  run: { id: string; steps: Step[]; status: string; reason: string | null; nextAt: number; finishedAt: number | null },
): Promise<boolean> {
  const res = await env.DB.prepare('UPDATE rule_runs SET steps = ?, status = ?, reason = ?, next_at = ?, finished_at = ? WHERE id = ? AND next_at = ?')
    .bind(JSON.stringify(run.steps), run.status, run.reason, run.nextAt, run.finishedAt, run.id, held.lease)
    .run();
  if (!res.meta.changes) return false;
  held.lease = run.nextAt;
  return true;
}

const finish = (steps: Step[]) => {
  const failed = steps.find((s) => s.status === 'failed');
  return failed ? { status: 'failed', reason: `${failed.action.type}: ${failed.code ?? 'FAILED'}: ${failed.error ?? ''}` } : { status: 'done', reason: null };
};

/** One run: its remaining actions in order, each outcome saved before the next starts. */
async function runOne(
  env: Bindings,
  userId: number,
  row: RunRow,
  rule: StoredRule | undefined,
  evRow: EventRow | undefined,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<void> {
  const steps = JSON.parse(row.steps) as Step[];
  const lease = () => Date.now() + LEASE_MS;
  const held = { lease: row.next_at };
  const ev = evRow ? toRunEvent(evRow) : null;
  const untouched = steps.every((s) => s.status === 'pending' && s.attempts === 0);
  if (!rule || rule.userId !== userId || !ev || (!rule.enabled && untouched)) {
    const reason =
      !rule || rule.userId !== userId ? 'RULE_DELETED' : !ev ? 'EVENT_GONE: the event is no longer kept' : 'RULE_DISABLED: disabled before the run started';
    await save(env, held, { id: row.id, steps, status: 'skipped', reason, nextAt: Date.now(), finishedAt: Date.now() });
    return;
  }
  const stale = Date.now() - evRow!.created_at > MAX_EVENT_AGE_MS;
  const ctx: RunContext = { env, userId, runId: row.id, rule: { ref: rule.ref, id: rule.id, name: rule.name }, ev, waitUntil };
  for (const [i, step] of steps.entries()) {
    if (step.status !== 'pending' && step.status !== 'sending') continue;
    if (step.status === 'sending') {
      // the gateway stopped while handing this email over: it may have gone, so it is not sent again
      Object.assign(step, {
        status: 'failed',
        code: 'IN_DOUBT',
        error: 'the gateway stopped while handing this email to the mail server; not sent again, to avoid a duplicate',
        at: Date.now(),
      });
      if (!(await save(env, held, { id: row.id, steps, status: 'pending', reason: null, nextAt: lease(), finishedAt: null }))) return;
      continue;
    }
    if (stale && step.attempts === 0 && step.action.type !== 'stop') {
      // an event that waited this long (an outage, a backlog) is not answered hours late
      Object.assign(step, { status: 'failed', code: 'EXPIRED', error: `the event is over ${MAX_EVENT_AGE_MS / 60_000} minutes old`, at: Date.now() });
      if (!(await save(env, held, { id: row.id, steps, status: 'pending', reason: null, nextAt: lease(), finishedAt: null }))) return;
      continue;
    }
    if (step.action.type === 'email') {
      step.status = 'sending';
      if (!(await save(env, held, { id: row.id, steps, status: 'pending', reason: null, nextAt: lease(), finishedAt: null }))) return;
    }
    let outcome: ActionOutcome;
    try {
      outcome = await perform(ctx, step.action, i);
    } catch (err) {
      outcome = { ok: false, retry: true, code: 'INTERNAL', error: err instanceof Error ? err.message : String(err) };
    }
    step.attempts += 1;
    step.at = Date.now();
    if (outcome.ok) {
      Object.assign(step, { status: 'done', result: outcome.result, code: undefined, error: undefined });
    } else if (outcome.retry && step.attempts < MAX_ATTEMPTS) {
      // later actions wait for this one: the order of a rule's actions holds
      Object.assign(step, { status: 'pending', code: outcome.code, error: outcome.error });
      const wait = BACKOFF_MS[Math.min(step.attempts - 1, BACKOFF_MS.length - 1)]!;
      await save(env, held, {
        id: row.id,
        steps,
        status: 'pending',
        reason: `${step.action.type}: retrying: ${outcome.error}`,
        nextAt: Date.now() + wait,
        finishedAt: null,
      });
      return;
    } else {
      const tries = step.attempts > 1 ? ` (gave up after ${step.attempts} attempts)` : '';
      Object.assign(step, { status: 'failed', code: outcome.code, error: `${outcome.error}${tries}` });
    }
    // the last action's outcome goes in with the run's end, below
    if (!steps.slice(i + 1).some((s) => s.status === 'pending' || s.status === 'sending')) break;
    // lost the run (its rule deleted, or its lease taken over): stop before doing anything more
    if (!(await save(env, held, { id: row.id, steps, status: 'pending', reason: null, nextAt: lease(), finishedAt: null }))) return;
  }
  const end = finish(steps);
  await save(env, held, { id: row.id, steps, status: end.status, reason: end.reason, nextAt: Date.now(), finishedAt: Date.now() });
}

/** Matches and runs what is due for one account until nothing is, or the deadline; answers when to come back. */
export async function runRules(
  env: Bindings,
  userId: number,
  waitUntil: (p: Promise<unknown>) => void = () => {},
  deadline = Date.now() + 25_000,
): Promise<{ next: number | null; worked: number }> {
  let worked = 0;
  while (Date.now() < deadline) {
    const matched = await matchNew(env, userId, Date.now());
    const runs = await claimRuns(env, userId, Date.now());
    if (runs.length) {
      // the batch's rules and events in two reads, not two per run
      const rules = new Map((await loadRules(env, userId)).map((r) => [r.ref, r]));
      const ids = [...new Set(runs.map((r) => r.event_id))];
      const { results: evRows } = await env.DB.prepare(
        `SELECT id, event, payload, client_ref, device_ref, source, reply_route, from_rule, created_at FROM rule_events
         WHERE user_id = ? AND id IN (SELECT value FROM json_each(?))`,
      )
        .bind(userId, JSON.stringify(ids))
        .all<EventRow>();
      const events = new Map(evRows.map((e) => [e.id, e]));
      for (const [i, run] of runs.entries()) {
        if (Date.now() >= deadline) {
          // out of time: the claimed runs not started go back at once rather than when their lease runs out
          await env.DB.batch(
            runs.slice(i).map((r) => env.DB.prepare('UPDATE rule_runs SET next_at = ? WHERE id = ? AND next_at = ?').bind(Date.now(), r.id, r.next_at)),
          );
          break;
        }
        await runOne(env, userId, run, rules.get(run.rule_ref), events.get(run.event_id), waitUntil);
      }
    }
    worked += matched + runs.length;
    if (!matched && !runs.length) break;
  }
  const next = await env.DB.prepare(
    `SELECT min(t) AS next FROM (SELECT min(next_at) AS t FROM rule_runs WHERE user_id = ?1 AND status = 'pending'
       UNION ALL SELECT min(created_at) FROM rule_events WHERE user_id = ?1 AND matched_at IS NULL)`,
  )
    .bind(userId)
    .first<{ next: number | null }>();
  return { next: next?.next ?? null, worked };
}

/** Cron: wake every account whose rule work nobody is doing (a lost wake-up, an evicted object). */
export async function sweepRules(env: Bindings, wake: (userId: number) => Promise<void>, graceMs = 30_000): Promise<number> {
  const before = Date.now() - graceMs;
  const { results } = await env.DB.prepare(
    `SELECT DISTINCT user_id FROM rule_runs WHERE status = 'pending' AND next_at <= ?1
     UNION SELECT DISTINCT user_id FROM rule_events WHERE matched_at IS NULL AND created_at <= ?1`,
  )
    .bind(before)
    .all<{ user_id: number }>();
  await Promise.all(results.map((r) => wake(r.user_id)));
  return results.length;
}
