// Automation rules (workerd, real D1 and Durable Objects): saved with their templates and filters checked,
// tried without side effects, and run by the account's RuleRunner — a device's SMS answered over SMS and
// forwarded to a fixed number, each action once even when a run is taken up again, the loop guard and
// the per-rule rate cap.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { addClient, call, newDevice, newUser, postAndroid, smsPayload, until } from '../../test/helpers.ts';

const rule = (over: Record<string, unknown> = {}) => ({
  name: 'Auto-reply',
  trigger: { event: 'sms_received' },
  actions: [{ type: 'reply', text: 'Thanks {{data.from}}, we got: {{data.message}}' }],
  ...over,
});

const runs = async (key: string, id: string) => (await call(`/api/rules/${id}/runs`, { key })).json.runs as any[];
const outbox = async (deviceId: string) =>
  (
    await env.DB.prepare(
      `SELECT o.kind, o."to", o.message, o.rule_run, o.public_id FROM device_outbox o JOIN devices d ON d.id = o.device_ref WHERE d.device_id = ? ORDER BY o.id`,
    )
      .bind(deviceId)
      .all<{ kind: string; to: string; message: string; rule_run: string | null; public_id: string | null }>()
  ).results;

describe('rules API', () => {
  it('saves a rule, lists it in order, changes and deletes it; only the account key or a login reaches it', async () => {
    const u = await newUser();
    const first = await call('/api/rules', { key: u.apiKey, body: rule() });
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ name: 'Auto-reply', enabled: true, position: 10, maxRunsPerMinute: 20, trigger: { event: 'sms_received' } });
    expect(first.json.id).toMatch(/^rul_[0-9a-f]{16}$/);
    expect(first.json.webhookSecret).toMatch(/^whsec_/);
    const second = await call('/api/rules', { key: u.apiKey, body: rule({ name: 'First in line', position: 5 }) });
    expect((await call('/api/rules', { key: u.apiKey })).json.rules.map((r: any) => r.name)).toEqual(['First in line', 'Auto-reply']);

    const off = await call(`/api/rules/${first.json.id}`, { key: u.apiKey, method: 'PATCH', body: { enabled: false } });
    expect(off.status).toBe(200);
    expect(off.json).toMatchObject({ enabled: false, name: 'Auto-reply', actions: first.json.actions });

    // another account's rule is not there; a client key may not manage the account's rules
    const other = await newUser();
    expect((await call(`/api/rules/${first.json.id}`, { key: other.apiKey })).status).toBe(404);
    expect((await call(`/api/rules/${first.json.id}`, { key: other.apiKey, method: 'DELETE' })).status).toBe(404);
    const { clientKey } = await addClient(u.apiKey);
    expect((await call('/api/rules', { key: clientKey })).status).toBe(403);

    expect((await call(`/api/rules/${second.json.id}`, { key: u.apiKey, method: 'DELETE' })).status).toBe(200);
    expect((await call(`/api/rules/${second.json.id}`, { key: u.apiKey })).status).toBe(404);
  });

  it('refuses what could not run, saying where: unknown template fields, slow regexes, replies without a sender, private URLs', async () => {
    const u = await newUser();
    const refused = async (body: unknown) => {
      const res = await call('/api/rules', { key: u.apiKey, body });
      expect(res.status).toBe(400);
      return res.json.error as string;
    };
    expect(await refused(rule({ actions: [{ type: 'reply', text: 'Hi {{data.form}}' }] }))).toMatch(
      /actions\.0\.text: .*unknown field data\.form for sms_received/,
    );
    expect(await refused(rule({ actions: [{ type: 'reply', text: 'Hi {{data.from' }] }))).toMatch(/not closed/);
    expect(await refused(rule({ trigger: { event: 'sms_received', textRegex: '(a)\\1' } }))).toMatch(/textRegex/);
    expect(await refused(rule({ trigger: { event: 'notification_received' } }))).toMatch(/a reply needs an event with a sender/);
    expect(await refused(rule({ trigger: { event: 'message_ack' } }))).toMatch(/trigger\.event/);
    expect(await refused(rule({ actions: [{ type: 'webhook', url: 'https://127.0.0.1/hook' }] }))).toMatch(/actions\.0\.url: refused/);
    expect(await refused(rule({ actions: [{ type: 'whatsapp', clientId: 'nobody', to: '972501234567', text: 'x' }] }))).toMatch(/no WhatsApp client nobody/);
    expect(
      await refused(
        rule({
          actions: [{ type: 'stop' }, { type: 'reply', text: 'x' }],
        }),
      ),
    ).toMatch(/stop/);
    expect(await refused(rule({ trigger: { event: 'sms_received', timeWindow: { from: '09:00', to: '09:00', timeZone: 'UTC' } } }))).toMatch(/differ/);
    expect((await call('/api/rules', { key: u.apiKey })).json.rules).toEqual([]);
  });

  it('tries a rule on a sample event without doing anything: what matches, why not, and what each action would send', async () => {
    const u = await newUser();
    const d = await newDevice(u.apiKey);
    const saved = await call('/api/rules', {
      key: u.apiKey,
      body: rule({
        trigger: { event: 'notification_received', package: ['com.facebook.katana'], textContains: 'comment' },
        actions: [
          { type: 'sms', to: '+972501112222', text: 'FB: {{data.title}} — {{data.content}}' },
          { type: 'email', to: ['owner@example.com'], subject: 'From {{data.package}}', body: '{{data.content}}' },
        ],
      }),
    });
    expect(saved.status).toBe(201);
    const sample = (pkg: string, content: string) => ({
      event: {
        event: 'notification_received',
        data: { package: pkg, title: 'Dana', content, deviceId: d.deviceId, device: null, id: 1, timestamp: Date.now(), type: 'notification_received' },
      },
    });
    const yes = await call(`/api/rules/${saved.json.id}/test`, { key: u.apiKey, body: sample('com.facebook.katana', 'New comment on your post') });
    expect(yes.status).toBe(200);
    expect(yes.json).toEqual({
      matched: true,
      why: null,
      actions: [
        { type: 'sms', would: { to: '+972501112222', text: 'FB: Dana — New comment on your post', deviceId: 'routed' }, problem: null },
        {
          type: 'email',
          would: { to: ['owner@example.com'], subject: 'From com.facebook.katana', body: 'New comment on your post', attachment: 'event.json', via: null },
          problem: 'the account has no outgoing mail server (PUT /api/mail)',
        },
      ],
    });
    const no = await call(`/api/rules/${saved.json.id}/test`, { key: u.apiKey, body: sample('com.whatsapp', 'New comment') });
    expect(no.json.matched).toBe(false);
    expect(no.json.why).toMatch(/app com.whatsapp is not in the list/);
    expect(await outbox(d.deviceId)).toEqual([]); // nothing was sent

    // a kept event is tried by id; another account's rule cannot name it
    await postAndroid(d.secret, { type: 'notification', data: { id: 9, package: 'com.facebook.katana', title: 'Omer', content: 'A comment for you' } });
    const [kept] = (await call('/api/rules/events?event=notification_received', { key: u.apiKey })).json.events;
    // kept twice (the device's event log, and for the rule that names it): listed once, as the rule's copy
    expect(kept).toMatchObject({ id: expect.stringMatching(/^evt_[0-9a-f]{32}$/), source: d.deviceId, event: { data: { title: 'Omer' } } });
    const byId = await call(`/api/rules/${saved.json.id}/test`, { key: u.apiKey, body: { eventId: kept.id } });
    expect(byId.json.actions[0].would.text).toBe('FB: Omer — A comment for you');
    const other = await newUser();
    const theirs = await call('/api/rules', { key: other.apiKey, body: rule({ trigger: { event: 'notification_received' }, actions: [{ type: 'stop' }] }) });
    expect((await call(`/api/rules/${theirs.json.id}/test`, { key: other.apiKey, body: { eventId: kept.id } })).status).toBe(404);
    expect((await call('/api/rules/events', { key: other.apiKey })).json.events).toEqual([]);
  });
});

describe('rules at work', () => {
  it('an SMS from the device is answered over SMS through that device and forwarded to a fixed number; the run log shows each action', async () => {
    const u = await newUser();
    const d = await newDevice(u.apiKey);
    const saved = await call('/api/rules', {
      key: u.apiKey,
      body: rule({
        actions: [
          { type: 'reply', text: 'Thanks {{data.from}}, we got: {{data.message}}' },
          { type: 'sms', to: '+972509998888', text: 'Forwarded from {{data.from}}: {{data.message}}' },
          { type: 'stop' },
        ],
      }),
    });
    // a later rule for the same event never sees it: the first one stops
    const later = await call('/api/rules', { key: u.apiKey, body: rule({ name: 'never', actions: [{ type: 'reply', text: 'second' }] }) });
    const payload = smsPayload('Is the shop open?', '+639170000001');
    expect((await postAndroid(d.secret, payload)).status).toBe(200);

    const [run] = await until('the run to finish', async () => {
      const r = await runs(u.apiKey, saved.json.id);
      return r.length && r[0].status !== 'pending' ? r : undefined;
    });
    expect(run).toMatchObject({
      status: 'done',
      reason: null,
      event: { event: 'sms_received', data: { from: '+639170000001', message: 'Is the shop open?' } },
    });
    expect(run.steps.map((s: any) => [s.type, s.status, s.attempts])).toEqual([
      ['reply', 'done', 1],
      ['sms', 'done', 1],
      ['stop', 'done', 1],
    ]);
    expect(run.steps[1].result).toMatchObject({ channel: 'sms', to: '+972509998888', deviceId: d.deviceId });
    expect(await outbox(d.deviceId)).toEqual([
      { kind: 'reply', to: '+639170000001', message: 'Thanks +639170000001, we got: Is the shop open?', rule_run: run.id, public_id: null },
      { kind: 'send', to: '+972509998888', message: 'Forwarded from +639170000001: Is the shop open?', rule_run: run.id, public_id: run.steps[1].result.id },
    ]);
    // the forwarded SMS is an ordinary send: GET /api/sms/{id} shows it
    expect((await call(`/api/sms/${run.steps[1].result.id}`, { key: u.apiKey })).json).toMatchObject({ status: 'queued', to: '+972509998888' });
    expect(await runs(u.apiKey, later.json.id)).toEqual([]);

    // a run taken up again (a crash after its actions, before their outcomes were written) sends nothing twice
    await env.DB.prepare(`UPDATE rule_runs SET status = 'pending', next_at = 0, steps = json(?) WHERE id = ?`)
      .bind(
        JSON.stringify(
          JSON.parse((await env.DB.prepare('SELECT steps FROM rule_runs WHERE id = ?').bind(run.id).first<{ steps: string }>())!.steps).map((s: any) => ({
            ...s,
            status: 'pending',
            attempts: 0,
          })),
        ),
        run.id,
      )
      .run();
    const { user_id: userId } = (await env.DB.prepare('SELECT user_id FROM rules WHERE public_id = ?').bind(saved.json.id).first<{ user_id: number }>())!;
    await env.RULE_RUNNER.getByName(`rules:${userId}`).wake(userId);
    await until('the run to finish again', async () => (await runs(u.apiKey, saved.json.id))[0]?.status === 'done');
    expect((await runs(u.apiKey, saved.json.id))[0].steps.map((s: any) => s.attempts)).toEqual([1, 1, 1]);
    expect((await outbox(d.deviceId)).length).toBe(2);
    // the same payload posted again (a device retry) is one event: no second run
    expect((await postAndroid(d.secret, payload)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 500));
    expect((await runs(u.apiKey, saved.json.id)).length).toBe(1);
    expect((await outbox(d.deviceId)).length).toBe(2);
  });

  it('a failing action is marked with its reason and the next ones still run; a disabled rule does not match', async () => {
    const u = await newUser();
    const d = await newDevice(u.apiKey);
    const saved = await call('/api/rules', {
      key: u.apiKey,
      body: rule({
        actions: [
          { type: 'email', to: ['owner@example.com'], subject: 'SMS from {{data.from}}', body: '{{data.message}}' },
          { type: 'reply', text: 'got it' },
        ],
      }),
    });
    await postAndroid(d.secret, smsPayload('hello'));
    const [run] = await until('the run to finish', async () => {
      const r = await runs(u.apiKey, saved.json.id);
      return r.length && r[0].status !== 'pending' ? r : undefined;
    });
    expect(run.status).toBe('failed');
    expect(run.reason).toMatch(/^email: NO_MAIL_SERVER/);
    expect(run.steps.map((s: any) => [s.status, s.code])).toEqual([
      ['failed', 'NO_MAIL_SERVER'],
      ['done', null],
    ]);

    await call(`/api/rules/${saved.json.id}`, { key: u.apiKey, method: 'PATCH', body: { enabled: false } });
    await postAndroid(d.secret, smsPayload('while off'));
    // the event is kept (a rule names it) and matched to nothing
    await until('the event to be matched', async () => {
      const row = await env.DB.prepare("SELECT matched_at FROM rule_events WHERE payload LIKE '%while off%'").first<{ matched_at: number | null }>();
      return row?.matched_at ?? undefined;
    });
    expect((await runs(u.apiKey, saved.json.id)).length).toBe(1);
  });

  it('an email the gateway was handing over when it stopped is not sent again: the step says IN_DOUBT, later actions run', async () => {
    const u = await newUser();
    const d = await newDevice(u.apiKey);
    const saved = await call('/api/rules', {
      key: u.apiKey,
      body: rule({
        enabled: false,
        actions: [
          { type: 'email', to: ['owner@example.com'], subject: 's', body: 'b' },
          { type: 'reply', text: 'got it' },
        ],
      }),
    });
    await postAndroid(d.secret, smsPayload('mid-send'));
    const ev = await until(
      'the event kept for rules',
      async () =>
        (await env.DB.prepare("SELECT id, user_id FROM rule_events WHERE payload LIKE '%mid-send%'").first<{ id: string; user_id: number }>()) ?? undefined,
    );
    // the run as a crash leaves it: the email marked as being handed over, its lease run out
    const ruleRef = (await env.DB.prepare('SELECT id FROM rules WHERE public_id = ?').bind(saved.json.id).first<{ id: number }>())!.id;
    const steps = [
      { action: { type: 'email', to: ['owner@example.com'], subject: 's', body: 'b' }, status: 'sending', attempts: 0 },
      { action: { type: 'reply', text: 'got it' }, status: 'pending', attempts: 0 },
    ];
    await env.DB.prepare("INSERT INTO rule_runs (id, rule_ref, user_id, event_id, status, steps, next_at) VALUES ('run_crashed', ?, ?, ?, 'pending', ?, 0)")
      .bind(ruleRef, ev.user_id, ev.id, JSON.stringify(steps))
      .run();
    await env.RULE_RUNNER.getByName(`rules:${ev.user_id}`).wake(ev.user_id);
    const [run] = await until('the run to finish', async () => {
      const r = await runs(u.apiKey, saved.json.id);
      return r.length && r[0].status !== 'pending' ? r : undefined;
    });
    expect(run.steps.map((s: any) => [s.status, s.code])).toEqual([
      ['failed', 'IN_DOUBT'],
      ['done', null],
    ]);
    expect(run.reason).toMatch(/^email: IN_DOUBT/);
  });

  it('a message a rule sent does not trigger rules again (unless the rule says so), and a storm stops at the rule’s cap', async () => {
    const u = await newUser();
    const d = await newDevice(u.apiKey);
    const forward = await call('/api/rules', {
      key: u.apiKey,
      body: rule({ name: 'forward', maxRunsPerMinute: 2, actions: [{ type: 'sms', to: '+972509998888', text: 'fwd: {{data.message}}' }] }),
    });
    const onStatus = await call('/api/rules', {
      key: u.apiKey,
      body: { name: 'on status', trigger: { event: 'sms_status' }, actions: [{ type: 'webhook', url: 'https://hooks.example.com/status' }] },
    });
    for (const text of ['one', 'two', 'three', 'four']) await postAndroid(d.secret, smsPayload(text));
    const all = await until('four runs', async () => {
      const r = await runs(u.apiKey, forward.json.id);
      return r.length === 4 && r.every((x: any) => x.status !== 'pending') ? r : undefined;
    });
    expect(all.map((r: any) => r.status).sort()).toEqual(['done', 'done', 'skipped', 'skipped']);
    expect(all.filter((r: any) => r.status === 'skipped').every((r: any) => /^RATE_CAPPED/.test(r.reason))).toBe(true);

    // the device sends the rule's SMS and reports it: its sms_status is caused by a rule, so the status rule stays quiet
    const work = (await call('/gateway/android/outbox', { headers: { 'x-device-secret': d.secret } })).json.messages as any[];
    expect(work.length).toBe(2);
    for (const w of work)
      expect((await call(`/gateway/android/outbox/${w.id}`, { body: { status: 'sent' }, headers: { 'x-device-secret': d.secret } })).status).toBe(200);
    // an SMS sent through the API is not a rule's: its status does run the rule
    const api = await call('/api/sms/send', { key: u.apiKey, body: { to: '+972501234567', message: 'from the API', deviceId: d.deviceId } });
    const [apiWork] = (await call('/gateway/android/outbox', { headers: { 'x-device-secret': d.secret } })).json.messages as any[];
    await call(`/gateway/android/outbox/${apiWork.id}`, { body: { status: 'sent' }, headers: { 'x-device-secret': d.secret } });
    const statusRuns = await until('the status rule to run', async () => {
      const r = await runs(u.apiKey, onStatus.json.id);
      return r.length && r.every((x: any) => x.status !== 'pending') ? r : undefined;
    });
    expect(statusRuns.map((r: any) => r.event.data.id)).toEqual([api.json.id]);
    // its webhook went into the durable outbox, addressed to the rule
    const delivery = await env.DB.prepare('SELECT endpoint, event FROM webhook_deliveries WHERE id = ?').bind(statusRuns[0].steps[0].result.deliveryId).first();
    expect(delivery).toMatchObject({ event: 'sms_status', endpoint: expect.stringMatching(/^rule:\d+:0$/) });

    // with includeRuleSends the same status rule sees the rule's sends too
    await call(`/api/rules/${onStatus.json.id}`, { key: u.apiKey, method: 'PATCH', body: { trigger: { event: 'sms_status', includeRuleSends: true } } });
    const tried = await call(`/api/rules/${onStatus.json.id}/test`, {
      key: u.apiKey,
      body: { eventId: (await call('/api/rules/events?event=sms_status', { key: u.apiKey })).json.events.at(-1).id },
    });
    expect(tried.status).toBe(200);
    expect(tried.json.matched).toBe(true);
  });
});
