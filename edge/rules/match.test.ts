import { describe, expect, it } from 'vitest';
import { type WebhookEvent, WebhookEventSchema } from '../../adapters/events.ts';
import { checkRegex, eventChannel, eventSender, eventText, type MatchContext, matchTrigger, REGEX_TEXT_LIMIT, senderListed } from './match.ts';
import type { RuleTrigger } from './schema.ts';

// Monday 5 January 2026, 12:00 UTC (14:00 in Jerusalem, UTC+2 in winter)
const MONDAY_NOON_UTC = Date.UTC(2026, 0, 5, 12, 0);

const sms = WebhookEventSchema.parse({
  event: 'sms_received',
  data: {
    from: '+639760713666',
    to: 'dev_kitchen',
    body: 'Your Code is 4821. Do not share it.',
    message: 'Your Code is 4821. Do not share it.',
    sim: 1,
    deviceId: 'dev_kitchen',
    device: 'a1b2c3',
    id: 17,
    rid: 4,
    timestamp: MONDAY_NOON_UTC,
    type: 'sms_received',
    channel: 'sms',
  },
});

const facebook = WebhookEventSchema.parse({
  event: 'notification_received',
  data: {
    package: 'com.facebook.katana',
    title: 'Dana Levi',
    content: 'ÉCRIT: שלום, commented on your post',
    deviceId: 'dev_kitchen',
    device: 'a1b2c3',
    id: 9,
    timestamp: MONDAY_NOON_UTC,
    type: 'notification_received',
  },
});

const whatsapp = WebhookEventSchema.parse({
  event: 'message_received',
  data: {
    from: '972501234567',
    to: 'shop',
    body: 'Is the shop open today?',
    message: 'Is the shop open today?',
    timestamp: MONDAY_NOON_UTC,
    type: 'received_message',
    channel: 'whatsapp',
    messageId: 'wamid.HBgM',
  },
});

const fromDevice: MatchContext = { clientId: null, deviceId: 'dev_kitchen', fromRule: false, at: MONDAY_NOON_UTC };
const fromClient: MatchContext = { clientId: 'shop', deviceId: null, fromRule: false, at: MONDAY_NOON_UTC };

const yes = { ok: true };
const no = (why: string) => ({ ok: false, why });

describe('event fields', () => {
  it('takes the text a rule looks at from each event', () => {
    expect(eventText(sms)).toBe('Your Code is 4821. Do not share it.');
    expect(eventText(whatsapp)).toBe('Is the shop open today?');
    expect(eventText(facebook)).toBe('Dana Levi\nÉCRIT: שלום, commented on your post');
    const ussd = WebhookEventSchema.parse({
      event: 'ussd_response',
      data: { code: '*143#', response: 'Balance: 5.00', sim: 0, deviceId: 'dev_kitchen', device: null, id: 3, timestamp: 1, type: 'ussd_response' },
    });
    expect(eventText(ussd)).toBe('Balance: 5.00');
    const failed = WebhookEventSchema.parse({
      event: 'message_failed',
      data: { messageId: 'm1', from: 'shop', to: '15550100', body: 'hello', code: 'EXPIRED', error: 'expired', timestamp: 1, type: 'message_failed' },
    });
    expect(eventText(failed)).toBe('hello');
    expect(eventChannel(failed)).toBe('whatsapp');
    const call = WebhookEventSchema.parse({
      event: 'call_rejected',
      data: { from: '15550100', to: 'shop', isVideo: false, timestamp: 1, type: 'call_rejected' },
    });
    expect(eventText(call)).toBe('');
    expect(eventSender(call)).toBe('15550100');
    expect(eventChannel(call)).toBe('whatsapp');
  });

  it('knows the sender and the channel', () => {
    expect(eventSender(sms)).toBe('+639760713666');
    expect(eventSender(whatsapp)).toBe('972501234567');
    expect(eventSender(facebook)).toBeNull();
    expect(eventChannel(sms)).toBe('sms');
    expect(eventChannel(whatsapp)).toBe('whatsapp');
    expect(eventChannel(facebook)).toBeNull();
    const { channel: _, ...bare } = whatsapp.data as typeof whatsapp.data & { channel?: string };
    expect(eventChannel({ event: 'message_received', data: bare } as WebhookEvent)).toBe('whatsapp');
  });
});

describe('matchTrigger', () => {
  it('needs the same event', () => {
    expect(matchTrigger({ event: 'sms_received' }, sms, fromDevice)).toEqual(yes);
    expect(matchTrigger({ event: 'message_received' }, sms, fromDevice)).toEqual(no('the event is sms_received, not message_received'));
  });

  it("skips events a rule's own message caused, unless told to include them", () => {
    const ctx = { ...fromClient, fromRule: true };
    expect(matchTrigger({ event: 'message_received' }, whatsapp, ctx)).toEqual(no("caused by a rule's own message"));
    expect(matchTrigger({ event: 'message_received', includeRuleSends: false }, whatsapp, ctx)).toEqual(no("caused by a rule's own message"));
    expect(matchTrigger({ event: 'message_received', includeRuleSends: true }, whatsapp, ctx)).toEqual(yes);
  });

  it('skips messages from the account’s own numbers (a rule answering itself) and group messages, unless told otherwise', () => {
    const own = { ...fromClient, fromOwnNumber: true };
    expect(matchTrigger({ event: 'message_received' }, whatsapp, own)).toEqual(
      no("it came from one of this account's own numbers (a rule could be answering itself)"),
    );
    expect(matchTrigger({ event: 'message_received', includeRuleSends: true }, whatsapp, own)).toEqual(yes);
    const group = { ...whatsapp, data: { ...whatsapp.data, groupId: '120363000000000000@g.us' } } as WebhookEvent;
    expect(matchTrigger({ event: 'message_received' }, group, fromClient)).toEqual(no('a group message (includeGroups is off)'));
    expect(matchTrigger({ event: 'message_received', includeGroups: true }, group, fromClient)).toEqual(yes);
  });

  it('filters on the channel', () => {
    expect(matchTrigger({ event: 'sms_received', channel: 'sms' }, sms, fromDevice)).toEqual(yes);
    expect(matchTrigger({ event: 'message_received', channel: 'whatsapp' }, whatsapp, fromClient)).toEqual(yes);
    expect(matchTrigger({ event: 'message_received', channel: 'sms' }, whatsapp, fromClient)).toEqual(no('it came over whatsapp, not sms'));
    expect(matchTrigger({ event: 'notification_received', channel: 'sms' }, facebook, fromDevice)).toEqual(no('notification_received has no channel'));
  });

  it('filters on the client and the device', () => {
    expect(matchTrigger({ event: 'message_received', clientId: 'shop' }, whatsapp, fromClient)).toEqual(yes);
    expect(matchTrigger({ event: 'message_received', clientId: 'support' }, whatsapp, fromClient)).toEqual(no('it came from client shop, not support'));
    expect(matchTrigger({ event: 'sms_received', clientId: 'shop' }, sms, fromDevice)).toEqual(no('it did not come from client shop'));
    expect(matchTrigger({ event: 'sms_received', deviceId: 'dev_kitchen' }, sms, fromDevice)).toEqual(yes);
    expect(matchTrigger({ event: 'sms_received', deviceId: 'dev_office' }, sms, fromDevice)).toEqual(no('it came from device dev_kitchen, not dev_office'));
    expect(matchTrigger({ event: 'message_received', deviceId: 'dev_office' }, whatsapp, fromClient)).toEqual(no('it did not come from device dev_office'));
  });

  it('compares senders by digits, and alphanumeric ids as written (any case)', () => {
    expect(matchTrigger({ event: 'sms_received', from: ['+63 (976) 071-3666'] }, sms, fromDevice)).toEqual(yes);
    expect(matchTrigger({ event: 'sms_received', from: ['15550100', '639760713666'] }, sms, fromDevice)).toEqual(yes);
    expect(matchTrigger({ event: 'message_received', from: ['+972 50 123 4567'] }, whatsapp, fromClient)).toEqual(yes);
    expect(matchTrigger({ event: 'sms_received', from: ['+63976071366'] }, sms, fromDevice)).toEqual(no('sender +639760713666 is not in the list'));
    expect(matchTrigger({ event: 'notification_received', from: ['15550100'] }, facebook, fromDevice)).toEqual(no('notification_received has no sender'));

    const fb = { ...sms, data: { ...sms.data, from: 'FACEBOOK' } } as WebhookEvent;
    expect(matchTrigger({ event: 'sms_received', from: ['facebook'] }, fb, fromDevice)).toEqual(yes);
    expect(matchTrigger({ event: 'sms_received', from: ['GOOGLE'] }, fb, fromDevice)).toEqual(no('sender FACEBOOK is not in the list'));
  });

  it('does not take the digits of a name for a number', () => {
    expect(senderListed('Bank123', ['123'])).toBe(false);
    expect(senderListed('Bank123', ['bank123'])).toBe(true);
    // no digits on either side is no match by digits
    expect(senderListed('FACEBOOK', ['+'])).toBe(false);
    expect(senderListed('972501234567@s.whatsapp.net', ['+972-50-123-4567'])).toBe(true);
  });

  it('filters notifications on the app package, and nothing else', () => {
    expect(matchTrigger({ event: 'notification_received', package: ['com.whatsapp', 'com.facebook.katana'] }, facebook, fromDevice)).toEqual(yes);
    expect(matchTrigger({ event: 'notification_received', package: ['com.facebook.orca'] }, facebook, fromDevice)).toEqual(
      no('app com.facebook.katana is not in the list'),
    );
    expect(matchTrigger({ event: 'sms_received', package: ['com.facebook.katana'] }, sms, fromDevice)).toEqual(no('only notifications have an app package'));
  });

  it('finds text case-insensitively, beyond ASCII', () => {
    expect(matchTrigger({ event: 'sms_received', textContains: 'code IS' }, sms, fromDevice)).toEqual(yes);
    expect(matchTrigger({ event: 'notification_received', textContains: 'écrit: שלום' }, facebook, fromDevice)).toEqual(yes);
    // the title is part of a notification's text
    expect(matchTrigger({ event: 'notification_received', textContains: 'dana' }, facebook, fromDevice)).toEqual(yes);
    expect(matchTrigger({ event: 'sms_received', textContains: 'password' }, sms, fromDevice)).toEqual(no('the text does not contain "password"'));
  });

  it('matches a regular expression, case-insensitively', () => {
    expect(matchTrigger({ event: 'sms_received', textRegex: 'code is (\\d{4})' }, sms, fromDevice)).toEqual(yes);
    expect(matchTrigger({ event: 'notification_received', textRegex: '^dana\\b.*\\n\\p{Lu}+:' }, facebook, fromDevice)).toEqual(yes);
    expect(matchTrigger({ event: 'sms_received', textRegex: 'code is \\d{6}' }, sms, fromDevice)).toEqual(no('the text does not match /code is \\d{6}/'));
    expect(matchTrigger({ event: 'sms_received', textRegex: '(' }, sms, fromDevice)).toEqual(no('textRegex is not a valid regular expression'));
  });

  it('looks at the first 10,000 characters only', () => {
    const long = { ...sms, data: { ...sms.data, message: `${'x'.repeat(REGEX_TEXT_LIMIT - 3)}abcdef` } } as WebhookEvent;
    expect(matchTrigger({ event: 'sms_received', textRegex: 'abc' }, long, fromDevice)).toEqual(yes);
    expect(matchTrigger({ event: 'sms_received', textRegex: 'abcd' }, long, fromDevice)).toEqual(no('the text does not match /abcd/'));
    expect(matchTrigger({ event: 'sms_received', textRegex: '^x+abc$' }, long, fromDevice)).toEqual(yes);
  });

  it('checks every filter together', () => {
    const all: RuleTrigger = {
      event: 'sms_received',
      channel: 'sms',
      deviceId: 'dev_kitchen',
      from: ['+639760713666'],
      textContains: 'code',
      textRegex: '\\d{4}',
      timeWindow: { from: '09:00', to: '17:00', timeZone: 'UTC', days: [1, 2, 3, 4, 5] },
    };
    expect(matchTrigger(all, sms, fromDevice)).toEqual(yes);
    expect(matchTrigger({ ...all, textContains: 'nope' }, sms, fromDevice)).toEqual(no('the text does not contain "nope"'));
  });
});

describe('time windows', () => {
  // Winter: Jerusalem is UTC+2. Monday 5 January 2026.
  const night: RuleTrigger = { event: 'sms_received', timeWindow: { from: '22:00', to: '06:00', timeZone: 'Asia/Jerusalem', days: [1] } };
  const at = (utc: number) => ({ ...fromDevice, at: utc });

  it('spans midnight in the window’s own time zone, counting the day it started', () => {
    // Monday 23:30 in Jerusalem (21:30 UTC, which would be outside in UTC)
    expect(matchTrigger(night, sms, at(Date.UTC(2026, 0, 5, 21, 30)))).toEqual(yes);
    // Monday 22:00 exactly: `from` is inclusive
    expect(matchTrigger(night, sms, at(Date.UTC(2026, 0, 5, 20, 0)))).toEqual(yes);
    // Tuesday 05:00 in Jerusalem: still Monday's night
    expect(matchTrigger(night, sms, at(Date.UTC(2026, 0, 6, 3, 0)))).toEqual(yes);
    // Tuesday 06:00: `to` is exclusive
    expect(matchTrigger(night, sms, at(Date.UTC(2026, 0, 6, 4, 0)))).toEqual(no('Tuesday 06:00 (Asia/Jerusalem) is outside 22:00–06:00'));
    // Tuesday 06:30 in Jerusalem is 04:30 UTC, inside the window if read in UTC
    expect(matchTrigger(night, sms, at(Date.UTC(2026, 0, 6, 4, 30)))).toEqual(no('Tuesday 06:30 (Asia/Jerusalem) is outside 22:00–06:00'));
    // Monday 05:00 belongs to Sunday's night
    expect(matchTrigger(night, sms, at(Date.UTC(2026, 0, 5, 3, 0)))).toEqual(
      no("Monday 05:00 (Asia/Jerusalem) (its window started on Sunday) is not one of the rule's days"),
    );
    // Tuesday 23:30 starts Tuesday's night
    expect(matchTrigger(night, sms, at(Date.UTC(2026, 0, 6, 21, 30)))).toEqual(no("Tuesday 23:30 (Asia/Jerusalem) is not one of the rule's days"));
  });

  it('follows daylight saving time', () => {
    // Monday 6 July 2026: Jerusalem is UTC+3, so 22:10 there is 19:10 UTC
    expect(matchTrigger(night, sms, at(Date.UTC(2026, 6, 6, 19, 10)))).toEqual(yes);
    expect(matchTrigger(night, sms, at(Date.UTC(2026, 6, 6, 18, 50)))).toEqual(no('Monday 21:50 (Asia/Jerusalem) is outside 22:00–06:00'));
  });

  it('works within a day, wrapping Sunday to Monday, and on every day without days', () => {
    const office: RuleTrigger = { event: 'sms_received', timeWindow: { from: '09:00', to: '17:00', timeZone: 'America/New_York', days: [1, 2, 3, 4, 5] } };
    // Monday 12:00 UTC is 07:00 in New York
    expect(matchTrigger(office, sms, fromDevice)).toEqual(no('Monday 07:00 (America/New_York) is outside 09:00–17:00'));
    expect(matchTrigger(office, sms, at(Date.UTC(2026, 0, 5, 14, 0)))).toEqual(yes);
    // Saturday 10 January, 10:00 in New York
    expect(matchTrigger(office, sms, at(Date.UTC(2026, 0, 10, 15, 0)))).toEqual(no("Saturday 10:00 (America/New_York) is not one of the rule's days"));

    const sundayNight: RuleTrigger = { event: 'sms_received', timeWindow: { from: '22:00', to: '06:00', timeZone: 'UTC', days: [7] } };
    // Monday 02:00 UTC: the window started on Sunday
    expect(matchTrigger(sundayNight, sms, at(Date.UTC(2026, 0, 5, 2, 0)))).toEqual(yes);

    const everyNight: RuleTrigger = { event: 'sms_received', timeWindow: { from: '22:00', to: '06:00', timeZone: 'UTC' } };
    expect(matchTrigger(everyNight, sms, at(Date.UTC(2026, 0, 10, 23, 0)))).toEqual(yes);
    expect(matchTrigger(everyNight, sms, at(Date.UTC(2026, 0, 10, 12, 0)))).toEqual(no('Saturday 12:00 (UTC) is outside 22:00–06:00'));
  });

  it('takes `from` equal to `to` as a whole day that starts at `from`', () => {
    const day: RuleTrigger = { event: 'sms_received', timeWindow: { from: '08:00', to: '08:00', timeZone: 'UTC', days: [1] } };
    expect(matchTrigger(day, sms, at(Date.UTC(2026, 0, 5, 8, 0)))).toEqual(yes);
    expect(matchTrigger(day, sms, at(Date.UTC(2026, 0, 6, 7, 59)))).toEqual(yes);
    expect(matchTrigger(day, sms, at(Date.UTC(2026, 0, 5, 7, 59)))).toEqual(
      no("Monday 07:59 (UTC) (its window started on Sunday) is not one of the rule's days"),
    );
  });
});

describe('checkRegex', () => {
  it('accepts ordinary patterns', () => {
    expect(checkRegex('code is (\\d{4})')).toBeNull();
    expect(checkRegex('^\\p{L}+$')).toBeNull();
    expect(checkRegex('(?P<word>shop)\\s+open')).toBeNull();
  });

  it('refuses what RE2 cannot run (lookaround, backreferences) and syntax errors', () => {
    expect(checkRegex('(?<=a)b')).toMatch(/^textRegex is not a regular expression RE2 accepts/);
    expect(checkRegex('(a)\\1')).toMatch(/^textRegex is not a regular expression RE2 accepts/);
    expect(checkRegex('(abc')).toMatch(/^textRegex is not a regular expression RE2 accepts/);
  });

  it('patterns that backtrack for minutes in JavaScript match in linear time', () => {
    // `.*.*.*x` took 407 s on 1,500 characters with RegExp; nothing here may take more than a blink
    // (with RegExp this test would not finish: it hangs, not fails slowly)
    const withText = (text: string) => ({ ...sms, data: { ...sms.data, message: text, body: text } }) as WebhookEvent;
    expect(checkRegex('.*.*.*x')).toBeNull();
    expect(matchTrigger({ event: 'sms_received', textRegex: '.*.*.*x' }, withText('a'.repeat(10_000)), fromDevice)).toMatchObject({ ok: false });
    expect(matchTrigger({ event: 'sms_received', textRegex: '.*.*.*x' }, withText(`${'a'.repeat(9_000)}x`), fromDevice)).toEqual({ ok: true });
    expect(matchTrigger({ event: 'sms_received', textRegex: '(a|a)+$' }, withText(`${'a'.repeat(5000)}b`), fromDevice)).toMatchObject({ ok: false });
  });
});
