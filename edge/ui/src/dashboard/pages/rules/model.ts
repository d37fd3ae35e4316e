// The rule editor's draft: every field as the person typed it (strings, so nothing typed is lost while
// it is not valid yet), and the API's RuleInput made from it or a saved Rule read back into it.
import type { Schemas } from '../../../api.ts';
import { DEFAULT_ZONE } from '../../../tz.ts';

export type Rule = Schemas['Rule'];
export type RuleInput = Schemas['RuleInput'];
export type Trigger = Schemas['RuleTrigger'];
export type RuleEvent = Trigger['event'];
export type Action = RuleInput['actions'][number];
export type ActionType = Action['type'];
export type Channel = NonNullable<Trigger['channel']>;

/** Events that have a sender and a channel back to it: a `reply` answers them (edge/rules/check.ts). */
export const REPLYABLE: readonly RuleEvent[] = ['message_received', 'sms_received'];
/** Events with a `data.from` a sender filter compares. */
export const WITH_SENDER: readonly RuleEvent[] = ['message_received', 'sms_received', 'call_rejected'];
/** Events that travel on no channel: a channel filter never matches them. */
export const WITHOUT_CHANNEL: readonly RuleEvent[] = ['notification_received', 'ussd_response', 'client_status'];

export interface ActionDraft {
  /** stable while the list is reordered (the list's key) */
  key: number;
  type: ActionType;
  /** email: addresses, comma or newline separated; whatsapp and sms: one phone number */
  to: string;
  subject: string;
  body: string;
  attachPayload: boolean;
  text: string;
  clientId: string;
  deviceId: string;
  /** sms: a SIM slot kept from the saved rule (not edited here) */
  sim: number | undefined;
  url: string;
}

export interface Draft {
  name: string;
  event: RuleEvent;
  channel: Channel | '';
  clientId: string;
  deviceId: string;
  /** senders, comma or newline separated */
  from: string;
  /** app packages, comma or newline separated */
  packages: string;
  textContains: string;
  textRegex: string;
  windowOn: boolean;
  /** ISO weekdays, 1 Monday … 7 Sunday; none or all: every day */
  days: number[];
  windowFrom: string;
  windowTo: string;
  timeZone: string;
  includeRuleSends: boolean;
  includeGroups: boolean;
  maxRunsPerMinute: string;
  actions: ActionDraft[];
}

let keys = 0;

export function newAction(type: ActionType, over: Partial<ActionDraft> = {}): ActionDraft {
  return { key: ++keys, type, to: '', subject: '', body: '', attachPayload: true, text: '', clientId: '', deviceId: '', sim: undefined, url: '', ...over };
}

export function newDraft(): Draft {
  return {
    name: '',
    event: 'sms_received',
    channel: '',
    clientId: '',
    deviceId: '',
    from: '',
    packages: '',
    textContains: '',
    textRegex: '',
    windowOn: false,
    days: [],
    windowFrom: '09:00',
    windowTo: '17:00',
    timeZone: DEFAULT_ZONE,
    includeRuleSends: false,
    includeGroups: false,
    maxRunsPerMinute: '',
    actions: [newAction('reply')],
  };
}

/** `a, b\nc` → `['a', 'b', 'c']`. */
export const splitList = (s: string) =>
  s
    .split(/[,\n]/)
    .map((x) => x.trim())
    .filter(Boolean);

function actionInput(a: ActionDraft): Action {
  switch (a.type) {
    case 'email':
      return { type: 'email', to: splitList(a.to), subject: a.subject, body: a.body, ...(a.attachPayload ? {} : { attachPayload: false }) };
    case 'reply':
      return { type: 'reply', text: a.text };
    case 'whatsapp':
      return { type: 'whatsapp', clientId: a.clientId, to: a.to.trim(), text: a.text };
    case 'sms':
      return { type: 'sms', to: a.to.trim(), text: a.text, ...(a.deviceId ? { deviceId: a.deviceId } : {}), ...(a.deviceId && a.sim ? { sim: a.sim } : {}) };
    case 'webhook':
      return { type: 'webhook', url: a.url.trim() };
    case 'stop':
      return { type: 'stop' };
  }
}

/** The trigger as the API takes it: empty filters and filters the event cannot have are left out. */
export function triggerInput(d: Draft): Trigger {
  const from = splitList(d.from);
  const packages = splitList(d.packages);
  const days = [...d.days].sort((a, b) => a - b);
  return {
    event: d.event,
    ...(d.channel && !WITHOUT_CHANNEL.includes(d.event) ? { channel: d.channel } : {}),
    ...(d.clientId ? { clientId: d.clientId } : {}),
    ...(d.deviceId ? { deviceId: d.deviceId } : {}),
    ...(from.length && WITH_SENDER.includes(d.event) ? { from } : {}),
    ...(packages.length && d.event === 'notification_received' ? { package: packages } : {}),
    ...(d.textContains ? { textContains: d.textContains } : {}),
    ...(d.textRegex ? { textRegex: d.textRegex } : {}),
    ...(d.windowOn ? { timeWindow: { ...(days.length && days.length < 7 ? { days } : {}), from: d.windowFrom, to: d.windowTo, timeZone: d.timeZone } } : {}),
    ...(d.includeRuleSends ? { includeRuleSends: true } : {}),
    ...(d.includeGroups && d.event === 'message_received' ? { includeGroups: true } : {}),
  };
}

/** The API's default for `maxRunsPerMinute`: an emptied field means it (sent, so an edit can go back to it). */
export const DEFAULT_RUNS_PER_MINUTE = 20;

export function toInput(d: Draft): RuleInput {
  const max = d.maxRunsPerMinute.trim();
  return { name: d.name, trigger: triggerInput(d), actions: d.actions.map(actionInput), maxRunsPerMinute: max ? Number(max) : DEFAULT_RUNS_PER_MINUTE };
}

function actionDraft(a: Action): ActionDraft {
  switch (a.type) {
    case 'email':
      return newAction('email', { to: a.to.join(', '), subject: a.subject, body: a.body, attachPayload: a.attachPayload !== false });
    case 'reply':
      return newAction('reply', { text: a.text });
    case 'whatsapp':
      return newAction('whatsapp', { clientId: a.clientId, to: a.to, text: a.text });
    case 'sms':
      return newAction('sms', { to: a.to, text: a.text, deviceId: a.deviceId ?? '', sim: a.sim });
    case 'webhook':
      return newAction('webhook', { url: a.url });
    case 'stop':
      return newAction('stop');
  }
}

export function fromRule(r: Rule): Draft {
  const t = r.trigger;
  const w = t.timeWindow;
  return {
    ...newDraft(),
    name: r.name,
    event: t.event,
    channel: t.channel ?? '',
    clientId: t.clientId ?? '',
    deviceId: t.deviceId ?? '',
    from: (t.from ?? []).join(', '),
    packages: (t.package ?? []).join(', '),
    textContains: t.textContains ?? '',
    textRegex: t.textRegex ?? '',
    ...(w ? { windowOn: true, days: w.days ?? [], windowFrom: w.from, windowTo: w.to, timeZone: w.timeZone } : {}),
    includeRuleSends: t.includeRuleSends ?? false,
    includeGroups: t.includeGroups ?? false,
    maxRunsPerMinute: r.maxRunsPerMinute === DEFAULT_RUNS_PER_MINUTE ? '' : String(r.maxRunsPerMinute),
    actions: r.actions.map(actionDraft),
  };
}

/**
 * The field an API error names (`rule.actions.0.text: …` or `actions.0.text: …` → `actions.0.text`),
 * to mark that input invalid; null when it names none.
 */
export function errorPath(error: string | null): string | null {
  const m = error ? /^(?:rule\.)?((?:name|trigger|actions|maxRunsPerMinute)(?:\.[A-Za-z0-9]+)*):/.exec(error) : null;
  return m ? m[1]! : null;
}

/** aria-invalid for the input at `here` when the API's error names it (or a field inside it). */
export const invalidAt = (path: string | null, here: string) => (path === here || path?.startsWith(`${here}.`) ? true : undefined);
