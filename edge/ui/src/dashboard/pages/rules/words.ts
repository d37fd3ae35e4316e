// Rules in words: the events and actions by name, the placeholders each event offers, and one-line
// summaries of a trigger, an action and an event for the list, the preview and the run log.
import type { Schemas } from '../../../api.ts';
import type { Action, ActionType, RuleEvent, Trigger } from './model.ts';

/** Every event a rule may name (the API's enum: a missing or extra one fails the build). */
export const EVENT_WORDS: Record<RuleEvent, string> = {
  sms_received: 'SMS received',
  message_received: 'WhatsApp message received',
  message_sent: 'Message sent',
  message_failed: 'Message failed',
  call_rejected: 'Call rejected',
  client_status: 'Number status changed',
  ussd_response: 'USSD response',
  sms_status: 'SMS status',
  notification_received: 'Phone notification',
};
export const RULE_EVENTS = Object.keys(EVENT_WORDS) as RuleEvent[];

export const ACTION_WORDS: Record<ActionType, string> = {
  email: 'Email',
  reply: 'Reply',
  whatsapp: 'WhatsApp',
  sms: 'SMS',
  webhook: 'Webhook',
  stop: 'Stop',
};
export const ACTION_TYPES = Object.keys(ACTION_WORDS) as ActionType[];

type AnyEvent = NonNullable<Schemas['RuleRun']['event']>;
type DataOf<E extends RuleEvent> = Extract<AnyEvent, { event: E }>['data'];

/** The `data.` fields worth naming in the hint, per event (each checked against the event's schema). */
const FIELDS: { [E in RuleEvent]: (keyof DataOf<E> & string)[] } = {
  sms_received: ['from', 'message', 'sim', 'deviceId', 'timestamp'],
  message_received: ['from', 'message', 'to', 'groupId', 'mediaUrl', 'timestamp'],
  message_sent: ['to', 'message', 'from', 'messageId', 'timestamp'],
  message_failed: ['to', 'body', 'code', 'error', 'messageId'],
  call_rejected: ['from', 'to', 'isVideo', 'timestamp'],
  client_status: ['clientId', 'status', 'connectedNumber', 'reason'],
  ussd_response: ['code', 'response', 'status', 'error', 'sim', 'deviceId'],
  sms_status: ['to', 'status', 'error', 'id', 'deviceId'],
  notification_received: ['package', 'title', 'content', 'deviceId', 'timestamp'],
};

/** The placeholders a template may use for `event`: its data fields, then those every event has. */
export const placeholdersFor = (event: RuleEvent): string[] => [...FIELDS[event].map((f) => `{{data.${f}}}`), '{{event}}', '{{rule.name}}', '{{payload}}'];

const quote = (s: string, max = 40) => `“${s.length > max ? `${s.slice(0, max - 1)}…` : s}”`;
const list = (xs: string[], max = 3) => (xs.length > max ? `${xs.slice(0, max).join(', ')} +${xs.length - max}` : xs.join(', '));
const DAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
export const dayName = (d: number) => DAYS[d - 1] ?? String(d);

/** The trigger's filters in words (the event itself is said apart). */
export function filterWords(t: Trigger): string[] {
  const out: string[] = [];
  if (t.textContains) out.push(`text contains ${quote(t.textContains)}`);
  if (t.textRegex) out.push(`text matches /${t.textRegex}/`);
  if (t.from?.length) out.push(`from ${list(t.from)}`);
  if (t.package?.length) out.push(`app ${list(t.package)}`);
  if (t.channel) out.push(`on ${t.channel === 'sms' ? 'SMS' : 'WhatsApp'}`);
  if (t.clientId) out.push(`number ${t.clientId}`);
  if (t.deviceId) out.push(`device ${t.deviceId}`);
  const w = t.timeWindow;
  if (w) out.push(`${w.days?.length ? `${w.days.map(dayName).join(' ')} ` : ''}${w.from}–${w.to} ${w.timeZone}`);
  if (t.includeRuleSends) out.push('rule sends too');
  if (t.includeGroups) out.push('groups too');
  return out;
}

/** One action in words: `Reply “Thanks…”`, `Email owner@example.com`. */
export function actionWords(a: Action): string {
  switch (a.type) {
    case 'email':
      return `Email ${list(a.to, 2)}`;
    case 'reply':
      return `Reply ${quote(a.text)}`;
    case 'whatsapp':
      return `WhatsApp ${a.to} from ${a.clientId}`;
    case 'sms':
      return `SMS ${a.to}${a.deviceId ? ` via ${a.deviceId}` : ''}`;
    case 'webhook':
      return `Webhook ${a.url}`;
    case 'stop':
      return 'Stop (later rules skip the event)';
  }
}

const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

/** Who an event came from (or is about) and what it says. */
export function eventWords(e: AnyEvent): { who: string; what: string } {
  const d = e.data as Record<string, unknown>;
  switch (e.event) {
    case 'notification_received':
      return { who: str(d.package), what: [str(d.title), str(d.content)].filter(Boolean).join(' — ') };
    case 'ussd_response':
      return { who: str(d.code), what: str(d.response) || str(d.error) };
    case 'client_status':
      return { who: str(d.clientId), what: [str(d.status), str(d.reason)].filter(Boolean).join(': ') };
    case 'sms_status':
      return { who: str(d.to), what: [str(d.status), str(d.error)].filter(Boolean).join(': ') };
    case 'message_sent':
    case 'message_failed':
      return { who: `to ${str(d.to)}`, what: [str(d.message ?? d.body), str(d.error)].filter(Boolean).join(' · ') };
    case 'call_rejected':
      return { who: str(d.from), what: d.isVideo ? 'video call' : 'voice call' };
    default:
      return { who: str(d.from), what: str(d.message ?? d.body) };
  }
}
