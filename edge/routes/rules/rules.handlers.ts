import type { z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { WebhookEventSchema } from '../../../adapters/events.ts';
import { allowPrivateUrls, checkOutboundUrl } from '../../../adapters/url-guard.ts';
import { getDb } from '../../db/client.ts';
import { rules } from '../../db/schema.ts';
import type { AuthContext, Bindings } from '../../env.ts';
import { audit } from '../../lib/audit.ts';
import { ApiError } from '../../lib/errors.ts';
import { pageById, textBytes } from '../../lib/pages.ts';
import { createRouter } from '../../lib/router.ts';
import { randomToken, seal, unseal } from '../../lib/secrets.ts';
import { iso, isoOrNull } from '../../lib/time.ts';
import { checkRule } from '../../rules/check.ts';
import { dryRun, sampleEvent, type TriedEvent } from '../../rules/dry-run.ts';
import { forgetRuleEvents } from '../../rules/inbox.ts';
import { mailSettingsView } from '../../rules/mail-settings.ts';
import { digitsOf, type EventRow, matchContext, ownNumbersOf, type Step, toRunEvent } from '../../rules/runner.ts';
import { eventSender } from '../../rules/match.ts';
import { DEFAULT_MAX_RUNS_PER_MINUTE, type RuleInput, RuleInputSchema } from '../../rules/schema.ts';
import { fromRow, ruleById, type StoredRule } from '../../rules/store.ts';
import { newWebhookSecret } from '../../webhooks/sign.ts';
import {
  createRuleRoute,
  deleteRuleRoute,
  getRuleRoute,
  listRulesRoute,
  listRunsRoute,
  previewRuleRoute,
  type RecentEventSchema,
  recentEventsRoute,
  type RuleSchema,
  type RunSchema,
  testRuleRoute,
  updateRuleRoute,
} from './rules.routes.ts';

/** Rules per account: enough for a shop's automations, few enough to match every event against. */
export const MAX_RULES = 100;

/** Where a rule's actions send: what the audit log names when a rule is made or its actions change. */
function destinations(actions: RuleInput['actions']): string {
  const where = (a: RuleInput['actions'][number]): string | null => {
    if (a.type === 'email') return `email ${a.to.join(', ')}`;
    if (a.type === 'webhook') return `webhook ${a.url}`;
    if (a.type === 'whatsapp') return `WhatsApp ${a.to} from ${a.clientId}`;
    if (a.type === 'sms') return `SMS ${a.to}`;
    if (a.type === 'reply') return 'reply to the sender';
    return null;
  };
  return (
    actions
      .map(where)
      .filter((w) => w !== null)
      .join('; ') || 'nothing'
  );
}

async function view(env: Bindings, r: StoredRule, auth: AuthContext): Promise<z.infer<typeof RuleSchema>> {
  return {
    id: r.id,
    name: r.name,
    enabled: r.enabled,
    position: r.position,
    trigger: r.trigger,
    actions: r.actions,
    maxRunsPerMinute: r.maxRunsPerMinute,
    // like a client's: a login never carries secrets out (the account key does)
    webhookSecret: auth.via === 'key' && r.webhookSecretSealed ? await unseal(env.SEAL_KEY, r.webhookSecretSealed) : null,
    invalid: r.invalid,
    createdAt: iso(r.createdAt),
    updatedAt: iso(r.updatedAt),
  };
}

/** Save-time checks beyond the schema: templates, regex, actions that fit the event, URLs, names that exist. */
async function validate(env: Bindings, userId: number, input: RuleInput): Promise<void> {
  const problem = checkRule(input);
  if (problem) throw new ApiError(400, 'VALIDATION_ERROR', `${problem.path}: ${problem.message}`);
  for (const [i, a] of input.actions.entries()) {
    if (a.type === 'webhook') {
      const checked = checkOutboundUrl(a.url, { allowPrivate: allowPrivateUrls(env), httpsOnly: true });
      if (!checked.ok) throw new ApiError(400, 'INVALID_WEBHOOK_URL', `actions.${i}.url: refused: ${checked.reason}`);
    }
    if (a.type === 'whatsapp') {
      const found = await env.DB.prepare('SELECT 1 FROM clients WHERE user_id = ? AND client_id = ?').bind(userId, a.clientId).first();
      if (!found) throw new ApiError(400, 'VALIDATION_ERROR', `actions.${i}.clientId: no WhatsApp client ${a.clientId} in this account`);
    }
    if (a.type === 'sms' && a.deviceId) {
      const found = await env.DB.prepare('SELECT 1 FROM devices WHERE user_id = ? AND device_id = ?').bind(userId, a.deviceId).first();
      if (!found) throw new ApiError(400, 'VALIDATION_ERROR', `actions.${i}.deviceId: no device ${a.deviceId} in this account`);
    }
  }
}

async function ownRule(env: Bindings, userId: number, id: string): Promise<StoredRule> {
  const rule = await ruleById(env, userId, id);
  if (!rule) throw new ApiError(404, 'RULE_NOT_FOUND', 'Rule not found');
  return rule;
}

type KeptRow = EventRow;

const KEPT = 'id, event, payload, client_ref, device_ref, source, reply_route, from_rule, created_at';
const DEVICE_KEPT = `'dev_evt_' || e.id AS id, e.event, e.payload, NULL AS client_ref, d.id AS device_ref, d.device_id AS source, NULL AS reply_route,
  0 AS from_rule, e.created_at`;

/** Recent events for rules: those kept for rules, and the devices' own events (kept for every account). */
async function recentEvents(env: Bindings, userId: number, event: string | undefined, limit: number): Promise<KeptRow[]> {
  const { results } = await env.DB.prepare(
    `SELECT * FROM (
       SELECT * FROM (SELECT ${KEPT} FROM rule_events WHERE user_id = ?1 AND (?2 IS NULL OR event = ?2) ORDER BY created_at DESC LIMIT ?3)
       UNION ALL
       SELECT * FROM (SELECT ${DEVICE_KEPT} FROM device_events e JOIN devices d ON d.id = e.device_ref
         WHERE d.user_id = ?1 AND (?2 IS NULL OR e.event = ?2) ORDER BY e.id DESC LIMIT ?3)
     ) ORDER BY created_at DESC LIMIT ?3`,
  )
    .bind(userId, event ?? null, Math.trunc(limit))
    .all<KeptRow>();
  // an event kept both ways (a device's event a rule names) shows once: the copy kept for rules, which
  // knows where a reply goes (whichever of the two was written first)
  const kept = new Set(results.filter((r) => !r.id.startsWith('dev_evt_')).map((r) => `${r.event}|${r.payload}`));
  return results.filter((r) => !r.id.startsWith('dev_evt_') || !kept.has(`${r.event}|${r.payload}`));
}

/** One event by the id GET /api/rules/events gave, if it is this account's. */
function keptEvent(env: Bindings, userId: number, id: string): Promise<KeptRow | null> {
  if (id.startsWith('dev_evt_'))
    return env.DB.prepare(`SELECT ${DEVICE_KEPT} FROM device_events e JOIN devices d ON d.id = e.device_ref WHERE e.id = ? AND d.user_id = ?`)
      .bind(Number(id.slice('dev_evt_'.length)), userId)
      .first<KeptRow>();
  return env.DB.prepare(`SELECT ${KEPT} FROM rule_events WHERE id = ? AND user_id = ?`).bind(id, userId).first<KeptRow>();
}

/** An event as the runner would try it: where it came from, where a reply goes, whether its sender is one of the account's own numbers. */
function tried(row: KeptRow, own: ReadonlySet<string>): TriedEvent | null {
  const ev = toRunEvent(row);
  if (!ev) return null;
  // a device's own event has no kept reply route: read it from the event as for a sample
  const replyRoute = ev.replyRoute ?? (row.id.startsWith('dev_evt_') ? sampleEvent(ev.event).replyRoute : null);
  return { event: ev.event, ctx: { ...matchContext(row), fromOwnNumber: own.has(digitsOf(eventSender(ev.event))) }, replyRoute };
}

const recentView = (row: KeptRow, t: TriedEvent): z.infer<typeof RecentEventSchema> => ({
  id: row.id,
  event: t.event,
  receivedAt: iso(row.created_at),
  source: row.source,
});

function runView(r: {
  id: string;
  rule_id: string;
  event_id: string;
  payload: string | null;
  status: string;
  reason: string | null;
  steps: string;
  created_at: number;
  finished_at: number | null;
}): z.infer<typeof RunSchema> {
  const event = r.payload ? WebhookEventSchema.safeParse(JSON.parse(r.payload)) : null;
  return {
    id: r.id,
    ruleId: r.rule_id,
    eventId: r.event_id,
    event: event?.success ? event.data : null,
    status: r.status as z.infer<typeof RunSchema>['status'],
    reason: r.reason,
    steps: (JSON.parse(r.steps) as Step[]).map((s) => ({
      type: s.action.type,
      status: s.status,
      attempts: s.attempts,
      code: s.code ?? null,
      error: s.error ?? null,
      result: s.result ?? null,
      at: isoOrNull(s.at ?? null),
    })),
    createdAt: iso(r.created_at),
    finishedAt: isoOrNull(r.finished_at),
  };
}

export const rulesRouter = createRouter()
  .openapi(recentEventsRoute, async (c) => {
    const { event, limit } = c.req.valid('query');
    const rows = await recentEvents(c.env, c.get('auth').userId, event, limit);
    const own = await ownNumbersOf(c.env, c.get('auth').userId);
    return c.json({ events: rows.flatMap((r) => ((t) => (t ? [recentView(r, t)] : []))(tried(r, own))) }, 200);
  })
  .openapi(previewRuleRoute, async (c) => {
    const { rule, limit } = c.req.valid('json');
    const userId = c.get('auth').userId;
    // the same checks as saving, so a draft that previews cleanly also saves
    await validate(c.env, userId, rule);
    const rows = await recentEvents(c.env, userId, rule.trigger.event, limit ?? 20);
    const results = [];
    let mail: ReturnType<typeof mailSettingsView> | undefined;
    const mailView = () => (mail ??= mailSettingsView(c.env, userId)); // read once, and only for email actions
    const own = await ownNumbersOf(c.env, userId);
    for (const row of rows) {
      const t = tried(row, own);
      if (t) results.push({ event: recentView(row, t), result: await dryRun(c.env, userId, { id: 'rul_preview', ...rule }, t, mailView) });
    }
    return c.json({ results }, 200);
  })
  .openapi(createRuleRoute, async (c) => {
    const input = c.req.valid('json');
    const auth = c.get('auth');
    await validate(c.env, auth.userId, input);
    const count = await c.env.DB.prepare('SELECT count(*) AS n, max(position) AS last FROM rules WHERE user_id = ?')
      .bind(auth.userId)
      .first<{ n: number; last: number | null }>();
    if ((count?.n ?? 0) >= MAX_RULES) throw new ApiError(409, 'TOO_MANY_RULES', `An account has at most ${MAX_RULES} rules`);
    const now = Date.now();
    const [row] = await getDb(c.env.DB)
      .insert(rules)
      .values({
        publicId: randomToken(8, 'rul_'),
        userId: auth.userId,
        name: input.name,
        enabled: input.enabled ?? true,
        position: input.position ?? (count?.last ?? 0) + 10,
        event: input.trigger.event,
        trigger: JSON.stringify(input.trigger),
        actions: JSON.stringify(input.actions),
        maxRunsPerMinute: input.maxRunsPerMinute ?? DEFAULT_MAX_RUNS_PER_MINUTE,
        webhookSecretSealed: await seal(c.env.SEAL_KEY, newWebhookSecret()),
        updatedAt: now,
      })
      .returning();
    forgetRuleEvents(auth.userId);
    await audit(c, {
      userId: auth.userId,
      category: 'security',
      event: 'rule_created',
      message: `Created rule ${row!.publicId} (${input.name}) on ${input.trigger.event}, sending to: ${destinations(input.actions)}`,
    });
    return c.json(await view(c.env, (await ruleById(c.env, auth.userId, row!.publicId))!, auth), 201);
  })
  .openapi(listRulesRoute, async (c) => {
    const rows = await getDb(c.env.DB)
      .select()
      .from(rules)
      .where(eq(rules.userId, c.get('auth').userId))
      .orderBy(rules.position, rules.id);
    return c.json({ rules: await Promise.all(rows.map((r) => view(c.env, fromRow(r), c.get('auth')))) }, 200);
  })
  .openapi(getRuleRoute, async (c) => c.json(await view(c.env, await ownRule(c.env, c.get('auth').userId, c.req.valid('param').id), c.get('auth')), 200))
  .openapi(updateRuleRoute, async (c) => {
    const auth = c.get('auth');
    const rule = await ownRule(c.env, auth.userId, c.req.valid('param').id);
    const patch = c.req.valid('json');
    const merged: RuleInput = {
      name: patch.name ?? rule.name,
      enabled: patch.enabled ?? rule.enabled,
      position: patch.position ?? rule.position,
      trigger: patch.trigger ?? rule.trigger,
      actions: patch.actions ?? rule.actions,
      maxRunsPerMinute: patch.maxRunsPerMinute ?? rule.maxRunsPerMinute,
    };
    // a stored rule that no longer reads as one (flagged `invalid`) is saved only once the patch mends it
    const readable = RuleInputSchema.safeParse(merged);
    if (!readable.success) {
      const issue = readable.error.issues[0];
      throw new ApiError(400, 'VALIDATION_ERROR', `${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
    }
    await validate(c.env, auth.userId, merged);
    await getDb(c.env.DB)
      .update(rules)
      .set({
        name: merged.name,
        enabled: merged.enabled,
        position: merged.position,
        event: merged.trigger.event,
        trigger: JSON.stringify(merged.trigger),
        actions: JSON.stringify(merged.actions),
        maxRunsPerMinute: merged.maxRunsPerMinute,
        updatedAt: Date.now(),
        ...(patch.rotateSecret ? { webhookSecretSealed: await seal(c.env.SEAL_KEY, newWebhookSecret()) } : {}),
      })
      .where(and(eq(rules.id, rule.ref), eq(rules.userId, auth.userId)));
    forgetRuleEvents(auth.userId);
    if (patch.actions && JSON.stringify(patch.actions) !== JSON.stringify(rule.actions))
      await audit(c, {
        userId: auth.userId,
        category: 'security',
        event: 'rule_updated',
        message: `Changed the actions of rule ${rule.id} (${merged.name}), now sending to: ${destinations(merged.actions)}`,
      });
    if (patch.rotateSecret)
      await audit(c, { userId: auth.userId, category: 'security', event: 'rule_secret_rotated', message: `New webhook secret for rule ${rule.id}` });
    if (patch.enabled !== undefined && patch.enabled !== rule.enabled)
      await audit(c, { userId: auth.userId, category: 'app', event: 'rule_updated', message: `${patch.enabled ? 'Enabled' : 'Disabled'} rule ${rule.id}` });
    return c.json(await view(c.env, (await ruleById(c.env, auth.userId, rule.id))!, auth), 200);
  })
  .openapi(deleteRuleRoute, async (c) => {
    const auth = c.get('auth');
    const rule = await ownRule(c.env, auth.userId, c.req.valid('param').id);
    await getDb(c.env.DB)
      .delete(rules)
      .where(and(eq(rules.id, rule.ref), eq(rules.userId, auth.userId)));
    forgetRuleEvents(auth.userId);
    await audit(c, { userId: auth.userId, category: 'app', event: 'rule_deleted', message: `Deleted rule ${rule.id} (${rule.name})` });
    return c.json({ success: true as const }, 200);
  })
  .openapi(testRuleRoute, async (c) => {
    const auth = c.get('auth');
    const rule = await ownRule(c.env, auth.userId, c.req.valid('param').id);
    if (rule.invalid) throw new ApiError(409, 'RULE_INVALID', `The stored rule no longer reads as a rule (${rule.invalid}): save it again first`);
    const body = c.req.valid('json');
    let t: TriedEvent | null;
    if (body.event) t = sampleEvent(body.event);
    else {
      const row = await keptEvent(c.env, auth.userId, body.eventId!);
      t = row ? tried(row, await ownNumbersOf(c.env, auth.userId)) : null;
      if (!t) throw new ApiError(404, 'EVENT_NOT_FOUND', 'No such event is kept (GET /api/rules/events lists them)');
    }
    return c.json(await dryRun(c.env, auth.userId, rule, t), 200);
  })
  .openapi(listRunsRoute, async (c) => {
    const auth = c.get('auth');
    const rule = await ownRule(c.env, auth.userId, c.req.valid('param').id);
    type Row = Parameters<typeof runView>[0] & { rid: number };
    const page = await pageById(
      c,
      c.req.valid('query'),
      async (before, take) =>
        (
          await c.env.DB.prepare(
            `SELECT r.rowid AS rid, r.id, ?1 AS rule_id, r.event_id, e.payload, r.status, r.reason, r.steps, r.created_at, r.finished_at
             FROM rule_runs r LEFT JOIN rule_events e ON e.id = r.event_id
             WHERE r.rule_ref = ?2 AND r.rowid < ?3 ORDER BY r.rowid DESC LIMIT ${Math.trunc(take)}`,
          )
            .bind(rule.id, rule.ref, before ?? Number.MAX_SAFE_INTEGER)
            .all<Row>()
        ).results,
      (r) => r.rid,
      (r) => textBytes(r.payload, r.steps, r.reason),
    );
    return c.json({ runs: page.map(runView) }, 200);
  });
