// Does a rule's trigger match an event? Pure: the caller says where the event came from and when.
import { RE2JS } from 're2js';
import type { WebhookEvent } from '../../adapters/events.ts';
import type { CHANNELS } from '../../adapters/vocabulary.ts';
import type { RuleTrigger } from './schema.ts';

export interface MatchContext {
  /** The public id of the WhatsApp client the event came from, if any. */
  clientId: string | null;
  /** The public id of the Android device the event came from, if any. */
  deviceId: string | null;
  /** The event was caused by a message a rule sent. */
  fromRule: boolean;
  /** The event's own time (ms), for the time window. */
  at: number;
  /** The sender is one of the account's own numbers (its WhatsApp numbers, its SIMs): likely a rule talking to itself. */
  fromOwnNumber?: boolean;
}

export type Channel = (typeof CHANNELS)[number];
export type MatchResult = { ok: true } | { ok: false; why: string };

/** The first 10,000 characters of an event's text are all a textRegex sees. */
export const REGEX_TEXT_LIMIT = 10_000;

/** The text textContains / textRegex look at: a message's body, a notification's title and content, a USSD answer. */
export function eventText(e: WebhookEvent): string {
  switch (e.event) {
    case 'message_received':
    case 'message_sent':
    case 'sms_received':
      return e.data.message;
    case 'notification_received':
      return `${e.data.title}\n${e.data.content}`;
    case 'ussd_response':
      return e.data.response;
    case 'message_failed':
      return e.data.body;
    default:
      return '';
  }
}

/** Who a reply would go to: `data.from` of an inbound message, SMS or rejected call. */
export function eventSender(e: WebhookEvent): string | null {
  switch (e.event) {
    case 'message_received':
    case 'sms_received':
    case 'call_rejected':
      return e.data.from;
    default:
      return null;
  }
}

/**
 * The channel an event travelled on. `data.channel` when the event carries one (SMS events always say
 * `sms`). Message events without it come from a WhatsApp bridge client, and only bridge clients reject
 * calls, so those are `whatsapp`. Notifications, USSD answers and a client's status carried no message
 * over a channel: null (a trigger with a `channel` filter never matches them).
 */
export function eventChannel(e: WebhookEvent): Channel | null {
  switch (e.event) {
    case 'sms_received':
    case 'sms_status':
      return 'sms';
    case 'message_received':
    case 'message_sent':
    case 'message_ack':
    case 'message_failed':
      return e.data.channel ?? 'whatsapp';
    case 'call_rejected':
      return 'whatsapp';
    default:
      return null;
  }
}

const PHONE_LIKE = /^\+?[\d\s().-]+$/;
const digits = (s: string) => s.replace(/\D/g, '');
const fold = (s: string) => s.normalize('NFC').toLocaleLowerCase();

/**
 * A sender is in the list when an entry names the same number, compared by digits only (`+1 (555) 010`
 * is `1555010`; both must look like phone numbers, so the digits of `Bank123` are not the number 123),
 * or when an entry equals the sender as written, case-insensitively (alphanumeric ids such as `FACEBOOK`).
 * An `@…` suffix on the sender (a WhatsApp JID) is ignored.
 */
export function senderListed(sender: string, list: readonly string[]): boolean {
  const raw = sender.trim();
  const bare = raw.replace(/@.*$/, '');
  const senderDigits = PHONE_LIKE.test(bare) ? digits(bare) : '';
  return list.some((entry) => {
    const e = entry.trim();
    if (fold(e) === fold(raw) || fold(e) === fold(bare)) return true;
    return senderDigits !== '' && PHONE_LIKE.test(e) && digits(e) === senderDigits;
  });
}

const WEEKDAYS = ['', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const WEEKDAY_NUMBER: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
const formatters = new Map<string, Intl.DateTimeFormat>();

/** ISO weekday (1 Monday … 7 Sunday) and minutes since midnight at `at` in `timeZone`. */
export function localTime(at: number, timeZone: string): { day: number; minutes: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
  return { day: WEEKDAY_NUMBER[parts.weekday ?? ''] ?? 0, minutes: Number(parts.hour) * 60 + Number(parts.minute) };
}

const toMinutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const hhmm = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/**
 * Is `at` inside the window? `from` is inclusive, `to` exclusive. When `to` is earlier than `from` the
 * window spans midnight (22:00–06:00), and the weekday that counts is the day the window STARTED: with
 * days [1] (Monday), Monday 23:30 and Tuesday 05:00 match, Monday 05:00 does not (that is Sunday's night).
 * `from` equal to `to` is a whole day, starting at `from`.
 */
export function inTimeWindow(w: NonNullable<RuleTrigger['timeWindow']>, at: number): MatchResult {
  let now: { day: number; minutes: number };
  try {
    now = localTime(at, w.timeZone);
  } catch {
    return { ok: false, why: `the time zone ${w.timeZone} is unknown` };
  }
  const from = toMinutes(w.from);
  const to = toMinutes(w.to);
  const label = `${WEEKDAYS[now.day]} ${hhmm(now.minutes)} (${w.timeZone})`;
  let startDay = now.day;
  if (from < to) {
    if (now.minutes < from || now.minutes >= to) return { ok: false, why: `${label} is outside ${w.from}–${w.to}` };
  } else if (now.minutes < from) {
    // spans midnight (or a whole day): before `from` we are in the window that began yesterday, if at all
    if (from !== to && now.minutes >= to) return { ok: false, why: `${label} is outside ${w.from}–${w.to}` };
    startDay = now.day === 1 ? 7 : now.day - 1;
  }
  if (w.days && !w.days.includes(startDay)) {
    const started = startDay === now.day ? '' : ` (its window started on ${WEEKDAYS[startDay]})`;
    return { ok: false, why: `${label}${started} is not one of the rule's days` };
  }
  return { ok: true };
}

/** The text a textRegex sees: the first REGEX_TEXT_LIMIT characters, never cutting a surrogate pair in half. */
function regexText(text: string): string {
  if (text.length <= REGEX_TEXT_LIMIT) return text;
  const code = text.charCodeAt(REGEX_TEXT_LIMIT - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? REGEX_TEXT_LIMIT - 1 : REGEX_TEXT_LIMIT);
}

const no = (why: string): MatchResult => ({ ok: false, why });

/** Checks, in order: event, rule-caused loop guard, channel, client, device, sender, package, text, time. */
export function matchTrigger(t: RuleTrigger, e: WebhookEvent, ctx: MatchContext): MatchResult {
  if (e.event !== t.event) return no(`the event is ${e.event}, not ${t.event}`);
  if (ctx.fromRule && !t.includeRuleSends) return no("caused by a rule's own message");
  if (ctx.fromOwnNumber && !t.includeRuleSends) return no("it came from one of this account's own numbers (a rule could be answering itself)");
  if (e.event === 'message_received' && e.data.groupId && !t.includeGroups) return no('a group message (includeGroups is off)');
  if (t.channel) {
    const channel = eventChannel(e);
    if (channel !== t.channel) return no(channel ? `it came over ${channel}, not ${t.channel}` : `${e.event} has no channel`);
  }
  if (t.clientId !== undefined && ctx.clientId !== t.clientId) {
    return no(ctx.clientId ? `it came from client ${ctx.clientId}, not ${t.clientId}` : `it did not come from client ${t.clientId}`);
  }
  if (t.deviceId !== undefined && ctx.deviceId !== t.deviceId) {
    return no(ctx.deviceId ? `it came from device ${ctx.deviceId}, not ${t.deviceId}` : `it did not come from device ${t.deviceId}`);
  }
  if (t.from) {
    const sender = eventSender(e);
    if (sender === null) return no(`${e.event} has no sender`);
    if (!senderListed(sender, t.from)) return no(`sender ${sender} is not in the list`);
  }
  if (t.package) {
    if (e.event !== 'notification_received') return no('only notifications have an app package');
    const pkg = e.data.package.trim().toLowerCase();
    if (!t.package.some((p) => p.trim().toLowerCase() === pkg)) return no(`app ${e.data.package} is not in the list`);
  }
  if (t.textContains !== undefined || t.textRegex !== undefined) {
    const text = eventText(e);
    if (t.textContains !== undefined && !fold(text).includes(fold(t.textContains))) return no(`the text does not contain "${t.textContains}"`);
    if (t.textRegex !== undefined) {
      const re = compileRegex(t.textRegex);
      if (!re) return no('textRegex is not a valid regular expression');
      if (!re.matcher(regexText(text)).find()) return no(`the text does not match /${t.textRegex}/`);
    }
  }
  if (t.timeWindow) return inTimeWindow(t.timeWindow, ctx.at);
  return { ok: true };
}

/** The pattern compiled by RE2JS (case-insensitive), or null when it does not compile. */
function compileRegex(pattern: string): RE2JS | null {
  try {
    return RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
  } catch {
    return null;
  }
}

/**
 * Null when `pattern` may be a textRegex, else why not. Patterns run on RE2JS (a port of RE2): matching
 * takes time linear in the text whatever the pattern, so no pattern can hang the gateway
 * (`.*.*.*x` or `(a|a)+$` included). RE2 has no lookaround or backreferences; those are refused here.
 */
export function checkRegex(pattern: string): string | null {
  try {
    RE2JS.compile(pattern, RE2JS.CASE_INSENSITIVE);
    return null;
  } catch (err) {
    return `textRegex is not a regular expression RE2 accepts (no lookaround or backreferences): ${err instanceof Error ? err.message : String(err)}`;
  }
}
