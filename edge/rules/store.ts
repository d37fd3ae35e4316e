// Rules as stored (D1 `rules`, the trigger and actions as JSON) and read back, typed by their zod schemas.
import { and, asc, eq } from 'drizzle-orm';
import { getDb } from '../db/client.ts';
import { rules } from '../db/schema.ts';
import type { Bindings } from '../env.ts';
import { RuleActionSchema, RuleTriggerSchema, type RuleAction, type RuleTrigger } from './schema.ts';

export interface StoredRule {
  ref: number;
  id: string;
  userId: number;
  name: string;
  enabled: boolean;
  position: number;
  trigger: RuleTrigger;
  actions: RuleAction[];
  maxRunsPerMinute: number;
  webhookSecretSealed: string | null;
  createdAt: number;
  updatedAt: number;
  /** why the stored rule no longer reads as a rule (a schema tightened since): it is not run, it can be fixed or deleted */
  invalid: string | null;
}

function parsed<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } } },
  text: string,
  what: string,
) {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { value: undefined as unknown as T, invalid: `${what}: not JSON` };
  }
  const r = schema.safeParse(raw);
  if (r.success) return { value: r.data, invalid: null };
  const issue = r.error.issues[0];
  return { value: raw as T, invalid: `${what}${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message ?? 'invalid'}` };
}

export function fromRow(row: typeof rules.$inferSelect): StoredRule {
  const trigger = parsed<RuleTrigger>(RuleTriggerSchema, row.trigger, 'trigger');
  const actions = parsed<RuleAction[]>(RuleActionSchema.array(), row.actions, 'actions');
  return {
    ref: row.id,
    id: row.publicId,
    userId: row.userId,
    name: row.name,
    enabled: row.enabled,
    position: row.position,
    trigger: trigger.value ?? ({ event: row.event } as RuleTrigger),
    actions: Array.isArray(actions.value) ? actions.value : [],
    maxRunsPerMinute: row.maxRunsPerMinute,
    webhookSecretSealed: row.webhookSecretSealed,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    invalid: trigger.invalid ?? actions.invalid,
  };
}

/** The account's rules in the order they see an event (position, then age). */
export async function loadRules(env: Bindings, userId: number, opts: { enabledOnly?: boolean } = {}): Promise<StoredRule[]> {
  const rows = await getDb(env.DB)
    .select()
    .from(rules)
    .where(and(eq(rules.userId, userId), opts.enabledOnly ? eq(rules.enabled, true) : undefined))
    .orderBy(asc(rules.position), asc(rules.id));
  return rows.map(fromRow);
}

export async function ruleById(env: Bindings, userId: number, id: string): Promise<StoredRule | null> {
  const [row] = await getDb(env.DB)
    .select()
    .from(rules)
    .where(and(eq(rules.userId, userId), eq(rules.publicId, id)))
    .limit(1);
  return row ? fromRow(row) : null;
}

export async function ruleByRef(env: Bindings, ref: number): Promise<StoredRule | null> {
  const [row] = await getDb(env.DB).select().from(rules).where(eq(rules.id, ref)).limit(1);
  return row ? fromRow(row) : null;
}
