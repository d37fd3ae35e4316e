import { describe, expect, it } from 'vitest';
import notificationForm from '../../test/fixtures/android/notification.form.txt?raw';
import notificationJson from '../../test/fixtures/android/notification.json?raw';
import smsForm from '../../test/fixtures/android/sms.form.txt?raw';
import smsJson from '../../test/fixtures/android/sms.json?raw';
import ussdForm from '../../test/fixtures/android/ussd.form.txt?raw';
import ussdJson from '../../test/fixtures/android/ussd.json?raw';
import whatsappForm from '../../test/fixtures/android/whatsapp.form.txt?raw';
import whatsappJson from '../../test/fixtures/android/whatsapp.json?raw';
import { WebhookEventSchema } from '../events.ts';
import { normalizeAndroid, parseAndroidBody, parseForm } from './index.ts';

const ctx = { deviceId: 'dev_abc', receivedAt: 1_700_000_000_000 };
const FORM = 'application/x-www-form-urlencoded';

function normalizeBody(body: string, contentType: string) {
  const parsed = parseAndroidBody(body, contentType);
  if (!parsed.ok) throw new Error(parsed.error);
  return normalizeAndroid(parsed.value, ctx);
}

describe('recorded Android payloads', () => {
  it('sms → sms_received, with a reply route back over SMS on the same SIM', () => {
    for (const [body, type] of [
      [smsJson, 'application/json'],
      [smsForm, FORM],
    ] as const) {
      const r = normalizeBody(body, type);
      expect(r).toEqual({
        ok: true,
        value: {
          event: {
            event: 'sms_received',
            data: {
              from: '+639760713666',
              to: 'dev_abc',
              body: 'Hello World!',
              message: 'Hello World!',
              sim: 1,
              deviceId: 'dev_abc',
              device: '00000000-0000-0000-d57d-f30cb6a89289',
              id: 2,
              rid: 10593,
              timestamp: 1645684231000,
              type: 'sms_received',
              channel: 'sms',
            },
          },
          dedupeKey: expect.stringMatching(/^sms:/),
          reply: { channel: 'sms', to: '+639760713666', sim: 1 },
        },
      });
    }
  });

  it("whatsapp → message_received in the spec's shape", () => {
    for (const [body, type] of [
      [whatsappJson, 'application/json'],
      [whatsappForm, FORM],
    ] as const) {
      const r = normalizeBody(body, type);
      expect(r.ok && r.value.event).toEqual({
        event: 'message_received',
        data: {
          from: '+639760666713',
          to: 'dev_abc',
          body: 'Hello World!',
          message: 'Hello World!',
          timestamp: 1645684231000,
          type: 'received_message',
          channel: 'whatsapp',
          deviceId: 'dev_abc',
          messageId: '2',
        },
      });
      expect(r.ok && r.value.reply).toEqual({ channel: 'whatsapp', to: '+639760666713', sim: null });
    }
  });

  it('ussd → ussd_response', () => {
    for (const [body, type] of [
      [ussdJson, 'application/json'],
      [ussdForm, FORM],
    ] as const) {
      const r = normalizeBody(body, type);
      expect(r.ok && r.value.event.data).toMatchObject({
        code: '*143#',
        response: 'Sorry! You are not allowed to use this service.',
        sim: 1,
        id: 98,
        timestamp: 1645684231000,
      });
      expect(r.ok && r.value.reply).toBeUndefined();
    }
  });

  it('notification → notification_received', () => {
    for (const [body, type] of [
      [notificationJson, 'application/json'],
      [notificationForm, FORM],
    ] as const) {
      const r = normalizeBody(body, type);
      expect(r.ok && r.value.event).toMatchObject({
        event: 'notification_received',
        data: { package: 'com.facebook.katana', title: 'Someone commented on your post!', content: 'Someone commented on your post!', id: 77 },
      });
    }
  });

  it('every normalized event satisfies the webhook event union', () => {
    for (const body of [smsJson, whatsappJson, ussdJson, notificationJson]) {
      const r = normalizeBody(body, 'application/json');
      expect(r.ok && WebhookEventSchema.safeParse(r.value.event).success).toBe(true);
    }
  });
});

describe('malformed payloads give a result, never a throw', () => {
  const cases: [string, unknown][] = [
    ['not an object', 'sms'],
    ['array', [1, 2]],
    ['null', null],
    ['unknown type', { type: 'mms', data: {} }],
    ['no data', { type: 'sms' }],
    ['data is a string', { type: 'sms', data: 'hi' }],
    ['sms without phone', { type: 'sms', data: { message: 'hi' } }],
    ['sms with object message', { type: 'sms', data: { phone: '+1', message: { a: 1 } } }],
    ['sms with bad sim', { type: 'sms', data: { phone: '+1555', message: 'x', sim: 'first' } }],
    ['ussd without code', { type: 'ussd', data: { response: 'x' } }],
    ['notification without package', { type: 'notification', data: { title: 'x' } }],
    ['whatsapp with huge id', { type: 'whatsapp', data: { phone: '+1555', message: 'x', id: 1e300 } }],
    ['proto pollution', JSON.parse('{"type":"sms","data":{"__proto__":{"phone":"+1"},"message":"x"}}')],
  ];
  for (const [name, payload] of cases) {
    it(name, () => {
      const r = normalizeAndroid(payload, ctx);
      expect(r.ok).toBe(false);
      expect(!r.ok && r.error.length).toBeGreaterThan(3);
    });
  }

  it('bodies that are neither JSON nor forms', () => {
    expect(parseAndroidBody('{"type": "sms", ', 'application/json')).toMatchObject({ ok: false });
    expect(parseAndroidBody('[1]', 'application/json')).toMatchObject({ ok: false });
    expect(parseAndroidBody('hello', 'text/plain')).toMatchObject({ ok: false });
  });

  it('form parsing ignores prototype keys and keeps nesting', () => {
    const parsed = parseForm('type=sms&data[phone]=%2B1555&__proto__[x]=1&data[constructor][y]=2&data[message]=a+b');
    expect(parsed).toEqual({ type: 'sms', data: { phone: '+1555', message: 'a b' } });
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('a reinstalled app reuses ids: new messages with an old id are not repeats; a true retry is', () => {
    const first = normalizeAndroid({ type: 'sms', data: { id: 1, phone: '+1555', message: 'before reinstall', timestamp: 1_700_000_000 } }, ctx);
    const retry = normalizeAndroid({ type: 'sms', data: { id: 1, phone: '+1555', message: 'before reinstall', timestamp: 1_700_000_000 } }, ctx);
    const after = normalizeAndroid({ type: 'sms', data: { id: 1, phone: '+1555', message: 'after reinstall', timestamp: 1_800_000_000 } }, ctx);
    expect(first.ok && retry.ok && first.value.dedupeKey === retry.value.dedupeKey).toBe(true);
    expect(first.ok && after.ok && first.value.dedupeKey !== after.value.dedupeKey).toBe(true);
    for (const type of ['notification', 'ussd', 'whatsapp'] as const) {
      const data = { id: 7, package: 'com.x', title: 't', content: 'c', code: '*1#', response: 'r', phone: '+1555', message: 'm', wid: 'w' };
      const a = normalizeAndroid({ type, data: { ...data, timestamp: 1 } }, ctx);
      const b = normalizeAndroid({ type, data: { ...data, timestamp: 2 } }, ctx);
      expect(a.ok && b.ok && a.value.dedupeKey !== b.value.dedupeKey).toBe(true);
    }
  });

  it('payloads without ids still dedupe by content', () => {
    const a = normalizeAndroid({ type: 'sms', data: { phone: '+1555', message: 'hi', timestamp: 5 } }, ctx);
    const b = normalizeAndroid({ type: 'sms', data: { phone: '+1555', message: 'hi', timestamp: 5 } }, ctx);
    expect(a.ok && b.ok && a.value.dedupeKey === b.value.dedupeKey).toBe(true);
  });
});

describe('form bodies an attacker sends', () => {
  it('a megabyte of `d[]=` parameters is parsed in bounded work and keeps the first ones', () => {
    const body = 'd[]=&'.repeat(200_000);
    const parsed = parseForm(body) as { d: Record<string, string> };
    expect(Object.keys(parsed.d)).toHaveLength(200);
  });
});
