import { describe, expect, it } from 'vitest';
import { checkRule } from './check.ts';
import { type RuleInput, RuleInputSchema } from './schema.ts';

/** A rule as the API would have parsed it. */
const rule = (input: unknown): RuleInput => RuleInputSchema.parse(input);

const forwardSms: { name: string; trigger: Record<string, unknown>; actions: Record<string, unknown>[] } = {
  name: 'Forward codes',
  trigger: { event: 'sms_received', textRegex: 'code is \\d{4}' },
  actions: [
    { type: 'email', to: ['owner@example.com'], subject: 'SMS from {{data.from}}', body: '{{data.message}}\n\n{{payload}}' },
    { type: 'reply', text: 'Thanks, {{ rule.name }} got it.' },
    { type: 'sms', to: '+972501234567', text: '{{data.from}}: {{data.message}}' },
    { type: 'webhook', url: 'https://example.com/hook' },
    { type: 'stop' },
  ],
};

describe('checkRule', () => {
  it('accepts a sound rule', () => {
    expect(checkRule(rule(forwardSms))).toBeNull();
    expect(
      checkRule(
        rule({
          name: 'Facebook',
          trigger: { event: 'notification_received', package: ['com.facebook.katana'] },
          actions: [{ type: 'whatsapp', clientId: 'shop', to: '+972501234567', text: '{{data.title}}: {{data.content}}' }],
        }),
      ),
    ).toBeNull();
  });

  it('checks every template field against the trigger event, and says which', () => {
    const bad = structuredClone(forwardSms);
    bad.actions[0] = { ...bad.actions[0]!, subject: 'From {{data.form}}' };
    expect(checkRule(rule(bad))).toEqual({
      path: 'actions.0.subject',
      message:
        '"{{data.form}}" at character 6: unknown field data.form for sms_received (fields: from, to, body, message, sim, deviceId, device, id, rid, timestamp, type, channel)',
    });

    const body = structuredClone(forwardSms);
    body.actions[0] = { ...body.actions[0]!, body: 'see {{data.message' };
    expect(checkRule(rule(body))).toEqual({ path: 'actions.0.body', message: '"{{" at character 5 is not closed by "}}"' });

    const sms = structuredClone(forwardSms);
    sms.actions[2] = { ...sms.actions[2]!, text: '{{data.package}}' };
    expect(checkRule(rule(sms))).toMatchObject({ path: 'actions.2.text', message: expect.stringMatching(/unknown field data\.package for sms_received/) });

    const whatsapp = {
      name: 'w',
      trigger: { event: 'notification_received' },
      actions: [{ type: 'whatsapp', clientId: 'shop', to: '+15550100', text: '{{data.from}}' }],
    };
    expect(checkRule(rule(whatsapp))).toMatchObject({
      path: 'actions.0.text',
      message: expect.stringMatching(/unknown field data\.from for notification_received/),
    });
  });

  it('refuses a dangerous or broken textRegex', () => {
    const lookbehind = { ...forwardSms, trigger: { event: 'sms_received', textRegex: '(?<=a)b' } };
    expect(checkRule(rule(lookbehind))).toMatchObject({ path: 'trigger.textRegex', message: expect.stringMatching(/RE2 accepts/) });
    const broken = { ...forwardSms, trigger: { event: 'sms_received', textRegex: '[a-' } };
    expect(checkRule(rule(broken))).toMatchObject({
      path: 'trigger.textRegex',
      message: expect.stringMatching(/^textRegex is not a regular expression RE2 accepts/),
    });
  });

  it('allows a reply only where there is a sender to answer', () => {
    const onMessage = { name: 'r', trigger: { event: 'message_received' }, actions: [{ type: 'reply', text: 'We open at 9.' }] };
    expect(checkRule(rule(onMessage))).toBeNull();
    for (const event of ['notification_received', 'call_rejected', 'message_sent', 'ussd_response']) {
      expect(checkRule(rule({ ...onMessage, trigger: { event } }))).toEqual({
        path: 'actions.0.type',
        message: 'a reply needs an event with a sender (message_received, sms_received)',
      });
    }
  });

  it('allows a package filter on notifications only', () => {
    const pkg = { ...forwardSms, trigger: { event: 'sms_received', package: ['com.facebook.katana'] } };
    expect(checkRule(rule(pkg))).toEqual({ path: 'trigger.package', message: 'a package filter works on notification_received only' });
  });

  it('allows a sender or channel filter only where the event has one', () => {
    const notify = { name: 'n', trigger: { event: 'notification_received' }, actions: [{ type: 'webhook', url: 'https://example.com/hook' }] };
    expect(checkRule(rule({ ...notify, trigger: { event: 'notification_received', from: ['15550100'] } }))).toEqual({
      path: 'trigger.from',
      message: 'a sender filter needs an event with a sender (message_received, sms_received, call_rejected)',
    });
    expect(checkRule(rule({ ...notify, trigger: { event: 'call_rejected', from: ['15550100'] } }))).toBeNull();
    expect(checkRule(rule({ ...notify, trigger: { event: 'ussd_response', channel: 'sms' } }))).toEqual({
      path: 'trigger.channel',
      message: 'ussd_response travels on no channel; remove the channel filter',
    });
    expect(checkRule(rule({ ...notify, trigger: { event: 'message_sent', channel: 'sms' } }))).toBeNull();
  });

  it('wants one stop at most, and last', () => {
    const early = { ...forwardSms, actions: [{ type: 'stop' }, { type: 'webhook', url: 'https://example.com/hook' }] };
    expect(checkRule(rule(early))).toEqual({ path: 'actions.0', message: 'a stop action must be the last action' });
    const twice = { ...forwardSms, actions: [{ type: 'stop' }, { type: 'webhook', url: 'https://example.com/hook' }, { type: 'stop' }] };
    expect(checkRule(rule(twice))).toEqual({ path: 'actions.2', message: 'only one stop action is allowed' });
    expect(checkRule(rule({ ...forwardSms, actions: [{ type: 'stop' }] }))).toBeNull();
  });
});
