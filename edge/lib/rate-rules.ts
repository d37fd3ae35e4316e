// Limiter rules: the spec's defaults, overridable by the RATE_LIMITS variable (JSON by rule name).
import { z } from '@hono/zod-openapi';

export const RuleSchema = z.object({ limit: z.number().int().positive(), windowSec: z.number().positive() });
export type Rule = z.infer<typeof RuleSchema>;

/**
 * The spec's rules (`sensitive`, `delete`, `api`, `chat`, per caller address) and the gateway's:
 * `dashboard` (calls made with the dashboard's login instead of an API key, per address), `gateway` (every /gateway call, per address), `device` (per device) and `deviceAuth` (wrong device
 * secrets, per address) and `internalAuth` (wrong operator or bridge credentials on /internal/*, per address).
 */
export const DEFAULT_RULES = {
  sensitive: { limit: 5, windowSec: 3600 },
  delete: { limit: 10, windowSec: 900 },
  api: { limit: 100, windowSec: 900 },
  /** the dashboard's reads (a login cookie, no API key, GET): a person clicking through pages, per address */
  dashboard: { limit: 1000, windowSec: 900 },
  chat: { limit: 60, windowSec: 60 },
  gateway: { limit: 600, windowSec: 60 },
  device: { limit: 120, windowSec: 60 },
  deviceAuth: { limit: 20, windowSec: 900 },
  internalAuth: { limit: 20, windowSec: 900 },
} satisfies Record<string, Rule>;
export type RuleName = keyof typeof DEFAULT_RULES;

const OverridesSchema = z.partialRecord(z.enum(Object.keys(DEFAULT_RULES) as [RuleName, ...RuleName[]]), RuleSchema.partial());

let cached: { raw: string; rules: Record<RuleName, Rule> } | undefined;

/** Rules in force; a malformed RATE_LIMITS is reported and the defaults kept. */
export function rulesFrom(raw: string | undefined): Record<RuleName, Rule> {
  const text = raw?.trim() ?? '';
  if (cached?.raw === text) return cached.rules;
  const rules: Record<RuleName, Rule> = { ...DEFAULT_RULES };
  if (text) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const result = OverridesSchema.safeParse(parsed);
    if (result.success) {
      for (const [name, rule] of Object.entries(result.data) as [RuleName, Partial<Rule>][]) rules[name] = { ...rules[name], ...rule };
    } else console.error('RATE_LIMITS is not valid JSON of {rule: {limit, windowSec}}; using the defaults');
  }
  cached = { raw: text, rules };
  return rules;
}
