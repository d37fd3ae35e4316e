import { createRoute, z } from '@hono/zod-openapi';
import { WebhookEventSchema } from '../../../adapters/events.ts';
import { accountScope } from '../../middleware/api-key.ts';
import { loginOrKey } from '../../middleware/login.ts';
import { errorResponses } from '../../lib/errors.ts';
import { NEXT_CURSOR_HEADERS, pageQuery } from '../../lib/pages.ts';
import { json, jsonBody, KeyOrSessionSecurity } from '../../lib/schemas.ts';
import { ACTION_TYPES, RuleActionSchema, RuleInputSchema, RulePatchSchema, RuleTriggerSchema } from '../../rules/schema.ts';

const TAG = 'Rules';

export const RuleIdParam = z.object({
  id: z
    .string()
    .regex(/^rul_[0-9a-f]{16}$/, 'id: rul_ and 16 hex digits')
    .openapi({ param: { name: 'id', in: 'path' }, example: 'rul_1a2b3c4d5e6f7a8b' }),
});

export const RuleSchema = z
  .object({
    id: z.string().openapi({ example: 'rul_1a2b3c4d5e6f7a8b' }),
    name: z.string(),
    enabled: z.boolean(),
    position: z.number().int(),
    trigger: RuleTriggerSchema,
    actions: z.array(RuleActionSchema),
    maxRunsPerMinute: z.number().int(),
    webhookSecret: z.string().nullable().openapi({
      description:
        'Signs the rule’s webhook actions (Standard Webhooks, like every webhook); null when asked with a dashboard login (secrets go out only to API keys)',
    }),
    createdAt: z.string(),
    updatedAt: z.string(),
    invalid: z.string().nullable().openapi({
      description: 'Why a stored rule no longer reads as a rule (after an upgrade tightened a field): it is not run until it is saved again, or deleted',
    }),
  })
  .openapi('Rule');

const StepSchema = z
  .object({
    type: z.enum(ACTION_TYPES),
    status: z.enum(['pending', 'sending', 'done', 'failed', 'skipped']),
    attempts: z.number().int(),
    code: z
      .string()
      .nullable()
      .openapi({ description: 'Why it failed (or why the last attempt did): NO_MAIL_SERVER, EMAIL_FAILED, IN_DOUBT, CLIENT_NOT_FOUND, …' }),
    error: z.string().nullable(),
    result: z.record(z.string(), z.unknown()).nullable().openapi({ description: 'What it did: the message id, SMS id, delivery id, …' }),
    at: z.string().nullable(),
  })
  .openapi('RuleRunStep');

export const RunSchema = z
  .object({
    id: z.string().openapi({ example: 'run_0f3c…' }),
    ruleId: z.string(),
    eventId: z.string(),
    event: WebhookEventSchema.nullable().openapi({ description: 'The event it matched (null once no longer kept)' }),
    status: z
      .enum(['pending', 'done', 'failed', 'skipped'])
      .openapi({ description: 'pending: running or waiting to retry an action; skipped: RATE_CAPPED or the rule went away' }),
    reason: z.string().nullable(),
    steps: z.array(StepSchema),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
  })
  .openapi('RuleRun');

const WouldSchema = z
  .object({
    type: z.enum(ACTION_TYPES),
    would: z.record(z.string(), z.unknown()).nullable().openapi({ description: 'What the action would do: rendered texts, recipients, URL' }),
    problem: z.string().nullable().openapi({ description: 'Why it would fail, when it can be told now' }),
  })
  .openapi('RuleActionPreview');

export const TestResultSchema = z
  .object({
    matched: z.boolean(),
    why: z.string().nullable().openapi({ description: 'Why the event does not match' }),
    actions: z.array(WouldSchema),
  })
  .openapi('RuleTestResult');

const TestBody = z
  .object({
    event: WebhookEventSchema.optional().openapi({ description: 'A sample event (`{event, data}`, as a webhook carries it)' }),
    eventId: z
      .string()
      .regex(/^(evt_[0-9a-f]{32}|dev_evt_\d{1,16})$/, 'eventId: an id from GET /api/rules/events')
      .optional(),
  })
  .refine((b) => (b.event === undefined) !== (b.eventId === undefined), { message: 'give event or eventId (one of them)' })
  .openapi('RuleTest');

export const RecentEventSchema = z
  .object({ id: z.string(), event: WebhookEventSchema, receivedAt: z.string(), source: z.string().nullable() })
  .openapi('RuleRecentEvent');

export const createRuleRoute = createRoute({
  method: 'post',
  path: '/api/rules',
  tags: [TAG],
  summary: 'Create a rule: when an event matches, do the actions',
  description:
    'Rules see each event in ascending `position`. Templates (`{{data.from}}`, `{{data.message}}`, `{{data.package}}`, `{{event}}`, `{{rule.name}}`, `{{payload}}`) are checked against the trigger’s event when saved. Sends go through the send queue (WhatsApp, with the governor’s pacing) or a device outbox (SMS); messages a rule sent never trigger rules again unless `trigger.includeRuleSends`.',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  request: { body: jsonBody(RuleInputSchema) },
  responses: { 201: json(RuleSchema, 'Created'), ...errorResponses(400, 401, 403, 409, 429) },
});

export const listRulesRoute = createRoute({
  method: 'get',
  path: '/api/rules',
  tags: [TAG],
  summary: 'The account’s rules, in the order they see events',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  responses: { 200: json(z.object({ rules: z.array(RuleSchema) }), 'Rules'), ...errorResponses(401, 403, 429) },
});

export const getRuleRoute = createRoute({
  method: 'get',
  path: '/api/rules/{id}',
  tags: [TAG],
  summary: 'One rule',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  request: { params: RuleIdParam },
  responses: { 200: json(RuleSchema, 'The rule'), ...errorResponses(400, 401, 403, 404, 429) },
});

export const updateRuleRoute = createRoute({
  method: 'patch',
  path: '/api/rules/{id}',
  tags: [TAG],
  summary: 'Change a rule (enable or disable it with `enabled`)',
  description: 'Fields given replace the saved ones. Runs already matched keep the actions they matched with.',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  request: {
    params: RuleIdParam,
    body: jsonBody(
      RulePatchSchema.extend({
        rotateSecret: z.boolean().optional().openapi({ description: 'Issue a new webhook signing secret (the old one stops signing at once)' }),
      }).openapi('RulePatchRequest'),
    ),
  },
  responses: { 200: json(RuleSchema, 'Saved'), ...errorResponses(400, 401, 403, 404, 429) },
});

export const deleteRuleRoute = createRoute({
  method: 'delete',
  path: '/api/rules/{id}',
  tags: [TAG],
  summary: 'Delete a rule and its run log',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  request: { params: RuleIdParam },
  responses: { 200: json(z.object({ success: z.literal(true) }), 'Deleted'), ...errorResponses(400, 401, 403, 404, 429) },
});

export const testRuleRoute = createRoute({
  method: 'post',
  path: '/api/rules/{id}/test',
  tags: [TAG],
  summary: 'Try a rule on a sample or a kept event, without doing anything',
  description: 'Answers whether it matches (and why not) and what each action would do: rendered texts, recipients, URL. Nothing is sent.',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  request: { params: RuleIdParam, body: jsonBody(TestBody) },
  responses: { 200: json(TestResultSchema, 'What would happen'), ...errorResponses(400, 401, 403, 404, 409, 429) },
});

export const previewRuleRoute = createRoute({
  method: 'post',
  path: '/api/rules/preview',
  tags: [TAG],
  summary: 'Try an unsaved rule on the account’s recent events',
  description: 'For a rule editor: the rule as drafted against up to `limit` recent events of its trigger’s event (newest first). Nothing is saved or sent.',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  request: {
    body: jsonBody(z.object({ rule: RuleInputSchema, limit: z.number().int().min(1).max(50).optional() }).openapi('RulePreviewRequest')),
  },
  responses: {
    200: json(z.object({ results: z.array(z.object({ event: RecentEventSchema, result: TestResultSchema })) }), 'Each recent event and what the rule would do'),
    ...errorResponses(400, 401, 403, 429),
  },
});

export const recentEventsRoute = createRoute({
  method: 'get',
  path: '/api/rules/events',
  tags: [TAG],
  summary: 'Recent events rules could act on',
  description:
    'Newest first: the Android devices’ events (SMS, notifications, USSD, WhatsApp on a phone) and, for events a rule names (enabled or not), every other event kept for rules. Use an id with `POST /api/rules/{id}/test`.',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  request: {
    query: z.object({
      event: RuleTriggerSchema.shape.event.optional(),
      limit: z.coerce.number().int().min(1).max(100).default(20),
    }),
  },
  responses: { 200: json(z.object({ events: z.array(RecentEventSchema) }), 'Recent events'), ...errorResponses(400, 401, 403, 429) },
});

export const listRunsRoute = createRoute({
  method: 'get',
  path: '/api/rules/{id}/runs',
  tags: [TAG],
  summary: 'A rule’s run log: each matched event and each action’s outcome',
  security: KeyOrSessionSecurity,
  middleware: [loginOrKey(), accountScope()] as const,
  request: { params: RuleIdParam, query: z.object(pageQuery(100, 20)) },
  responses: {
    200: { ...json(z.object({ runs: z.array(RunSchema) }), 'Newest first'), headers: NEXT_CURSOR_HEADERS },
    ...errorResponses(400, 401, 403, 404, 429),
  },
});
