// Automation rules: *when* an event matches a trigger, *do* an ordered list of actions. The zod schemas
// here are the API's words (the OpenAPI document takes them from here) and the stored rule's shape.
import { z } from '@hono/zod-openapi';
import { EVENT_NAMES, type EventName } from '../../adapters/events.ts';
import { CHANNELS } from '../../adapters/vocabulary.ts';

/** Events rules are offered: all but message_ack (see rules/inbox.ts). */
export const RULE_EVENT_NAMES = EVENT_NAMES.filter((e) => e !== 'message_ack') as [EventName, ...EventName[]];

const HHMM = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day as HH:MM (24 h)')
  .openapi({ example: '09:00' });

export const TimeZoneSchema = z
  .string()
  .min(1)
  .max(64)
  .refine(
    (tz) => {
      try {
        new Intl.DateTimeFormat('en-US', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    },
    { message: 'timeZone: an IANA time zone such as Europe/London' },
  )
  .openapi({ example: 'Asia/Jerusalem' });

export const TimeWindowSchema = z
  .object({
    days: z
      .array(z.number().int().min(1).max(7))
      .min(1)
      .max(7)
      .optional()
      .openapi({ description: 'ISO weekdays the rule works on: 1 Monday … 7 Sunday (default every day)', example: [1, 2, 3, 4, 5] }),
    from: HHMM.openapi({ description: 'From this time of day (inclusive)' }),
    to: HHMM.openapi({
      description: 'Until this time of day (exclusive); earlier than `from` spans midnight (22:00–06:00)',
      example: '17:00',
    }),
    timeZone: TimeZoneSchema,
  })
  .refine((w) => w.from !== w.to, { message: 'timeWindow: from and to must differ (leave the window out for all day)', path: ['to'] })
  .openapi('RuleTimeWindow');

const Senders = z
  .array(z.string().trim().min(1).max(64))
  .min(1)
  .max(100)
  .openapi({ description: 'Matches when the sender (`data.from`) is one of these; digits are compared, so `+1 (555) 010` matches `1555010`' });

export const RuleTriggerSchema = z
  .object({
    event: z.enum(RULE_EVENT_NAMES).openapi({
      description: 'The webhook event this rule acts on (every event but message_ack: two follow every send; message_failed and sms_status tell outcomes)',
      example: 'sms_received',
    }),
    channel: z.enum(CHANNELS).optional().openapi({ description: 'Only events that travelled on this channel' }),
    clientId: z.string().min(1).max(64).optional().openapi({ description: 'Only events of this WhatsApp client' }),
    deviceId: z.string().min(1).max(128).optional().openapi({ description: 'Only events of this Android device' }),
    from: Senders.optional(),
    package: z
      .array(z.string().trim().min(1).max(200))
      .min(1)
      .max(50)
      .optional()
      .openapi({ description: 'Notifications: only from these app packages', example: ['com.facebook.katana'] }),
    textContains: z
      .string()
      .min(1)
      .max(500)
      .optional()
      .openapi({ description: 'The text contains this (case-insensitive). The text is a message’s body, a notification’s title and content, a USSD answer' }),
    textRegex: z.string().min(1).max(200).optional().openapi({
      description:
        'The text matches this regular expression (RE2 syntax, case-insensitive; matched in time linear in the text, so no pattern can hang the gateway; no lookaround or backreferences)',
    }),
    timeWindow: TimeWindowSchema.optional(),
    includeRuleSends: z.boolean().optional().openapi({
      description:
        'Also match events caused by messages a rule sent, and messages from the account’s own numbers (off by default: a rule never triggers itself in a loop)',
    }),
    includeGroups: z.boolean().optional().openapi({ description: 'Also match WhatsApp group messages (off by default: a reply would go to the whole group)' }),
  })
  .openapi('RuleTrigger');

const Template = (max: number) => z.string().min(1).max(max).openapi({ description: 'Text with `{{data.field}}` placeholders from the event (no code runs)' });

const EmailAddress = z.email().max(254);

const Phone = z
  .string()
  .trim()
  .regex(/^\+?[0-9]{3,15}$/, 'a phone number (digits, optional leading +)')
  .openapi({ example: '+972501234567' });

export const EmailActionSchema = z
  .object({
    type: z.literal('email'),
    to: z
      .array(EmailAddress)
      .min(1)
      .max(10)
      .openapi({ example: ['owner@example.com'] }),
    subject: Template(300).openapi({ example: 'SMS from {{data.from}}' }),
    body: Template(10_000).openapi({ example: '{{data.message}}' }),
    attachPayload: z.boolean().optional().openapi({ description: 'Attach the event as event.json (default true)' }),
  })
  .openapi('RuleEmailAction');

export const ReplyActionSchema = z
  .object({ type: z.literal('reply'), text: Template(4096).openapi({ example: 'Thanks, we will call you back.' }) })
  .openapi('RuleReplyAction', { description: 'Answers the sender over the channel the event came from (WhatsApp client, SMS or WhatsApp on a phone)' });

export const WhatsappActionSchema = z
  .object({
    type: z.literal('whatsapp'),
    clientId: z.string().min(1).max(64).openapi({ description: 'The WhatsApp client (number) that sends it', example: 'shop' }),
    to: Phone,
    text: Template(4096),
  })
  .openapi('RuleWhatsappAction');

export const SmsActionSchema = z
  .object({
    type: z.literal('sms'),
    to: Phone,
    text: Template(1600),
    deviceId: z.string().min(1).max(128).optional().openapi({ description: 'Send through this device (default: routed like POST /api/sms/send)' }),
    sim: z.number().int().min(1).max(8).optional().openapi({ description: 'The SIM slot (1, 2, …), as POST /api/sms/send' }),
  })
  .openapi('RuleSmsAction');

export const WebhookActionSchema = z
  .object({
    type: z.literal('webhook'),
    url: z
      .string()
      .min(1)
      .max(2048)
      .openapi({ description: 'HTTPS URL; signed like every webhook, with the rule’s own secret', example: 'https://example.com/hook' }),
  })
  .openapi('RuleWebhookAction');

export const StopActionSchema = z.object({ type: z.literal('stop') }).openapi('RuleStopAction', { description: 'Later rules do not see this event' });

export const RuleActionSchema = z.discriminatedUnion('type', [
  EmailActionSchema,
  ReplyActionSchema,
  WhatsappActionSchema,
  SmsActionSchema,
  WebhookActionSchema,
  StopActionSchema,
]);

export const ACTION_TYPES = ['email', 'reply', 'whatsapp', 'sms', 'webhook', 'stop'] as const;

export const RuleInputSchema = z
  .object({
    name: z.string().trim().min(1).max(100).openapi({ example: 'Forward Facebook notifications' }),
    enabled: z.boolean().optional().openapi({ description: 'Default true' }),
    position: z.number().int().min(0).max(1_000_000).optional().openapi({ description: 'Rules run in ascending position (default: after the last)' }),
    trigger: RuleTriggerSchema,
    actions: z.array(RuleActionSchema).min(1).max(10),
    maxRunsPerMinute: z
      .number()
      .int()
      .min(1)
      .max(600)
      .optional()
      .openapi({ description: 'Runs beyond this many in a minute are skipped and logged as RATE_CAPPED (default 20): stops storms' }),
  })
  .openapi('RuleInput');

export const RulePatchSchema = RuleInputSchema.partial().openapi('RulePatch');

export type RuleTrigger = z.infer<typeof RuleTriggerSchema>;
export type RuleAction = z.infer<typeof RuleActionSchema>;
export type RuleInput = z.infer<typeof RuleInputSchema>;

export const DEFAULT_MAX_RUNS_PER_MINUTE = 20;
