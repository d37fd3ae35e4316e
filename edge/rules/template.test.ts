import { describe, expect, it } from 'vitest';
import { type WebhookEvent, WebhookEventSchema } from '../../adapters/events.ts';
import { checkTemplate, placeholders, renderTemplate } from './template.ts';

const sms = WebhookEventSchema.parse({
  event: 'sms_received',
  data: {
    from: '+639760713666',
    to: 'dev_kitchen',
    body: 'Your code is 4821',
    message: 'Your code is 4821',
    sim: 1,
    deviceId: 'dev_kitchen',
    device: null,
    id: 17,
    rid: 4,
    timestamp: 1767648600000,
    type: 'sms_received',
    channel: 'sms',
  },
});

const whatsapp = WebhookEventSchema.parse({
  event: 'message_received',
  data: {
    from: '972501234567',
    to: 'shop',
    body: '{{rule.id}} and {{ payload }} and {{data.from}}',
    message: '{{rule.id}} and {{ payload }} and {{data.from}}',
    timestamp: 1767648600000,
    type: 'received_message',
    channel: 'whatsapp',
    messageId: 'wamid.1',
  },
});

const rule = { id: 'rul_42', name: 'Forward codes' };

describe('checkTemplate', () => {
  it('accepts every kind of placeholder, with or without spaces, and plain text', () => {
    expect(
      checkTemplate('SMS from {{data.from}} on SIM {{ data.sim }}: {{data.message}} ({{event}}, {{rule.id}}, {{ rule.name }})', 'sms_received'),
    ).toBeNull();
    expect(checkTemplate('{{payload}}', 'notification_received')).toBeNull();
    expect(checkTemplate('no placeholders } here }} and { there', 'sms_received')).toBeNull();
    expect(checkTemplate('{{data.package}}: {{data.title}}', 'notification_received')).toBeNull();
  });

  it('names an unknown data field, the event and its fields', () => {
    expect(checkTemplate('From {{data.form}}', 'sms_received')).toBe(
      '"{{data.form}}" at character 6: unknown field data.form for sms_received (fields: from, to, body, message, sim, deviceId, device, id, rid, timestamp, type, channel)',
    );
    // a field of another event
    expect(checkTemplate('{{ data.package }}', 'sms_received')).toMatch(
      /^"\{\{ data\.package \}\}" at character 1: unknown field data\.package for sms_received/,
    );
    // inherited properties are no fields
    expect(checkTemplate('{{data.constructor}}', 'sms_received')).toMatch(/unknown field data\.constructor for sms_received/);
  });

  it('says where an unclosed "{{" is, counting an emoji as one character', () => {
    expect(checkTemplate('Hello {{data.from', 'sms_received')).toBe('"{{" at character 7 is not closed by "}}"');
    expect(checkTemplate('👋 {{data.from', 'sms_received')).toBe('"{{" at character 3 is not closed by "}}"');
    // the first "{{" is the open one, though a later placeholder closes
    expect(checkTemplate('a {{ b {{data.from}}', 'sms_received')).toBe('"{{" at character 3 is not closed by "}}"');
  });

  it('refuses what is not a path', () => {
    expect(checkTemplate('x {{ data.from x }}', 'sms_received')).toBe(
      '"{{ data.from x }}" at character 3 is not a placeholder: write {{ data.field }} (use event, data.<field>, rule.id, rule.name or payload)',
    );
    expect(checkTemplate('{{}}', 'sms_received')).toMatch(/^"\{\{\}\}" at character 1 is not a placeholder/);
    expect(checkTemplate('{{data.1x}}', 'sms_received')).toMatch(/is not a placeholder/);
    expect(checkTemplate('{{data..from}}', 'sms_received')).toMatch(/is not a placeholder/);
    expect(checkTemplate('{{{data.from}}}', 'sms_received')).toMatch(/^"\{\{\{data\.from\}\}" at character 1 is not a placeholder/);
    expect(checkTemplate('{{data[0]}}', 'sms_received')).toMatch(/is not a placeholder/);
  });

  it('refuses unknown roots and paths that go too deep', () => {
    expect(checkTemplate('{{foo}}', 'sms_received')).toBe(
      '"{{foo}}" at character 1: unknown placeholder foo: use event, data.<field>, rule.id, rule.name or payload',
    );
    expect(checkTemplate('{{rule.secret}}', 'sms_received')).toBe('"{{rule.secret}}" at character 1: unknown rule.secret: use rule.id or rule.name');
    expect(checkTemplate('{{rule}}', 'sms_received')).toMatch(/unknown rule: use rule\.id or rule\.name/);
    expect(checkTemplate('{{event.name}}', 'sms_received')).toBe('"{{event.name}}" at character 1: event has no fields (event.name)');
    expect(checkTemplate('{{payload.data}}', 'sms_received')).toMatch(/payload has no fields/);
    expect(checkTemplate('{{data}}', 'sms_received')).toMatch(/data needs a field, as in data\.from/);
    expect(checkTemplate('{{data.from.country}}', 'sms_received')).toBe('"{{data.from.country}}" at character 1: data.from has no fields (data.from.country)');
  });

  it('reports the first problem only', () => {
    expect(checkTemplate('{{data.form}} {{nope', 'sms_received')).toMatch(/^"\{\{data\.form\}\}" at character 1/);
  });
});

describe('renderTemplate', () => {
  it('fills fields: strings as they are, numbers as text, null and missing as nothing', () => {
    expect(renderTemplate('SMS from {{data.from}} on SIM {{ data.sim }} (#{{data.id}}): {{data.message}}', { event: sms, rule })).toBe(
      'SMS from +639760713666 on SIM 1 (#17): Your code is 4821',
    );
    expect(renderTemplate('[{{data.device}}]', { event: sms, rule })).toBe('[]');
    expect(renderTemplate('[{{data.groupId}}]', { event: whatsapp, rule })).toBe('[]');
    expect(renderTemplate('{{event}} / {{rule.id}} / {{rule.name}}', { event: sms, rule })).toBe('sms_received / rul_42 / Forward codes');
  });

  it('renders payload as the whole event, pretty-printed', () => {
    const out = renderTemplate('{{payload}}', { event: sms, rule });
    expect(out).toBe(JSON.stringify(sms, null, 2));
    expect(JSON.parse(out)).toEqual(sms);
  });

  it('does not read placeholders in the text it substitutes', () => {
    expect(renderTemplate('Got: {{data.message}}', { event: whatsapp, rule })).toBe('Got: {{rule.id}} and {{ payload }} and {{data.from}}');
  });

  it('renders objects as JSON, booleans as text, and never reaches inherited properties', () => {
    const event = { ...sms, data: { ...sms.data, extra: { a: 1, ok: true } } } as unknown as WebhookEvent;
    expect(renderTemplate('{{data.extra}} {{data.extra.a}} {{data.extra.ok}} [{{data.extra.b}}]', { event, rule })).toBe('{"a":1,"ok":true} 1 true []');
    expect(renderTemplate('[{{data.constructor}}][{{data.from.length}}][{{data.__proto__}}]', { event: sms, rule })).toBe('[][][]');
  });

  it('never throws: malformed pieces are copied, unknown paths are empty', () => {
    expect(renderTemplate('a }} b {{ c d }} e {{foo}} f {{data.from', { event: sms, rule })).toBe('a }} b {{ c d }} e  f {{data.from');
    expect(renderTemplate('', { event: sms, rule })).toBe('');
  });
});

describe('placeholders', () => {
  it('lists the paths used, in order, once each', () => {
    expect(placeholders('{{ data.from }} {{event}} {{data.from}} {{bad path}} {{rule.name}}')).toEqual(['data.from', 'event', 'rule.name']);
    expect(placeholders('nothing here')).toEqual([]);
  });
});
