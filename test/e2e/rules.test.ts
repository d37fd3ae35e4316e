// Automations end to end over `npm start` (the serving runtime, the sandbox bridge, a real SMTP server on
// 127.0.0.1): a Facebook notification forwarded by email (subject, body, the event attached) and by SMS; an
// SMS that becomes a WhatsApp message to a fixed number and an SMS reply; a rule's own message never
// triggering it again; and a run cut by a restart of the Worker finishing with each action done once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startSystem, type RunningSystem } from '../../scripts/system.ts';
import { startReceiver, type Receiver } from '../support/receiver.ts';
import { startSmtpServer, type SmtpTestServer } from '../support/smtp-server.ts';
import { systemApi } from '../support/system-api.ts';

const stateDir = mkdtempSync(join(tmpdir(), 'sb-rules-'));
let system: RunningSystem | undefined;
let smtp: SmtpTestServer;
let receiver: Receiver;
let device: { deviceId: string; secret: string };
const { api, until } = systemApi(() => system, { untilMs: 30_000 });

beforeAll(async () => {
  smtp = await startSmtpServer();
  receiver = await startReceiver();
  // the test's own polling is not the point
  const RATE_LIMITS = JSON.stringify({ api: { limit: 100_000, windowSec: 900 }, device: { limit: 10_000, windowSec: 60 } });
  system = await startSystem({ port: await freePort(), stateDir, env: { ...process.env, ALLOW_PRIVATE_WEBHOOK_URLS: 'true', RATE_LIMITS } });
  const made = await api('/api/devices', { name: 'Shop phone' });
  expect(made.status).toBe(201);
  device = made.json;
  expect((await api('/api/add-number', { clientId: 'shop', phoneNumber: '12345678901' })).status).toBe(200);
  await api('/api/sandbox/shop/scan', {});
  await until('the shop number to connect', async () =>
    ((await api('/api/clients')).json as any[]).some((c) => c.clientId === 'shop' && c.status === 'Authenticated'),
  );
  // the account's mail server: the local one (plain SMTP is allowed only because private targets are, as in a test setup)
  const mail = await api(
    '/api/mail',
    { host: '127.0.0.1', port: smtp.port, security: 'none', from: 'gateway@shop.example', fromName: 'Shop gateway' },
    { method: 'PUT' },
  );
  expect(mail.status).toBe(200);
}, 180_000);

afterAll(async () => {
  await system?.stop();
  await smtp?.close();
  await receiver?.close();
  rmSync(stateDir, { recursive: true, force: true });
});

const fromDevice = async (payload: Record<string, unknown>) => {
  const res = await fetch(`${system!.url}/gateway/android`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-device-secret': device.secret },
    body: JSON.stringify(payload),
  });
  expect(res.status).toBe(200);
};
const notification = (id: number, pkg: string, title: string, content: string) => ({
  type: 'notification',
  data: { id, package: pkg, title, content, timestamp: Math.floor(Date.now() / 1000) },
});
const finishedRuns = async (ruleId: string, n = 1) => {
  const runs = (await api(`/api/rules/${ruleId}/runs`)).json.runs as any[];
  return runs.length >= n && runs.every((r) => r.status !== 'pending') ? runs : undefined;
};
/** What the device is given to send (claimed, as the phone's poll would). */
const deviceWork = async () =>
  (
    (await (await fetch(`${system!.url}/gateway/android/outbox`, { headers: { 'x-device-secret': device.secret } })).json()) as {
      messages: { to: string; message: string; channel: string }[];
    }
  ).messages;

describe('rules over npm start', () => {
  it('a Facebook notification is forwarded by email (subject, body, the event attached) and by SMS; another app’s is not', async () => {
    const rule = await api('/api/rules', {
      name: 'Facebook to owner',
      trigger: { event: 'notification_received', package: ['com.facebook.katana'] },
      actions: [
        { type: 'email', to: ['owner@shop.example'], subject: 'Facebook: {{data.title}}', body: '{{data.content}}\n-- {{rule.name}}' },
        { type: 'sms', to: '+15550001111', text: 'FB {{data.title}}: {{data.content}}' },
      ],
    });
    expect(rule.status).toBe(201);
    await fromDevice(notification(501, 'com.instagram.android', 'Noa', 'liked your photo'));
    await fromDevice(notification(502, 'com.facebook.katana', 'Dana Levi', 'commented: "Is it still for sale?" 🙂'));

    const [mail] = await until('the email', () => smtp.messages('owner@shop.example').length > 0 && smtp.messages('owner@shop.example'));
    expect(mail!.subject).toBe('Facebook: Dana Levi');
    expect(mail!.text.trim()).toBe('commented: "Is it still for sale?" 🙂\n-- Facebook to owner');
    expect(mail!.from).toBe('gateway@shop.example');
    expect(mail!.attachments).toHaveLength(1);
    expect(mail!.attachments[0]!.filename).toBe('event.json');
    expect(JSON.parse(mail!.attachments[0]!.content)).toMatchObject({
      event: 'notification_received',
      data: { package: 'com.facebook.katana', title: 'Dana Levi' },
    });

    const [run] = (await until('the run to finish', () => finishedRuns(rule.json.id)))!;
    expect(run.status).toBe('done');
    expect(run.steps.map((s: any) => s.status)).toEqual(['done', 'done']);
    const sms = await api(`/api/sms/${run.steps[1].result.id}`);
    expect(sms.json).toMatchObject({ to: '+15550001111', message: 'FB Dana Levi: commented: "Is it still for sale?" 🙂', deviceId: device.deviceId });
    // only the Facebook notification ran the rule
    expect((await api(`/api/rules/${rule.json.id}/runs`)).json.runs).toHaveLength(1);
    expect(smtp.messages('owner@shop.example')).toHaveLength(1);
    await api(`/api/rules/${rule.json.id}`, undefined, { method: 'DELETE' });
    await deviceWork(); // the phone takes the SMS
  });

  it('an SMS to the shop phone becomes a WhatsApp message to a fixed number and an SMS reply to its sender', async () => {
    const rule = await api('/api/rules', {
      name: 'SMS to WhatsApp',
      trigger: { event: 'sms_received', textContains: 'order' },
      actions: [
        { type: 'whatsapp', clientId: 'shop', to: '15550002222', text: 'SMS from {{data.from}}: {{data.message}}' },
        { type: 'reply', text: 'Thanks! Your order request reached us.' },
      ],
    });
    expect(rule.status).toBe(201);
    await fromDevice({
      type: 'sms',
      data: { id: 601, sim: 1, phone: '+15557770001', message: 'New order: 2 cakes', timestamp: Math.floor(Date.now() / 1000) },
    });

    const sent = await until('the WhatsApp message on the network', async () => {
      const out = (await api('/api/sandbox/shop/outbox')).json as any[];
      return out.find((m) => m.to.startsWith('15550002222'));
    });
    expect(sent.body).toBe('SMS from +15557770001: New order: 2 cakes');
    const reply = await until('the SMS reply for the device', async () => (await deviceWork()).find((m) => m.to === '+15557770001'));
    expect(reply).toMatchObject({ channel: 'sms', message: 'Thanks! Your order request reached us.' });
    const [run] = (await until('the run to finish', () => finishedRuns(rule.json.id)))!;
    expect(run.steps.map((s: any) => [s.type, s.status])).toEqual([
      ['whatsapp', 'done'],
      ['reply', 'done'],
    ]);
    // the WhatsApp message is an ordinary send: its status and id are the queue's
    expect((await api(`/api/messages/${run.steps[0].result.messageId}`)).json.status).toMatch(/^(sent|delivered|read)$/);
    await api(`/api/rules/${rule.json.id}`, undefined, { method: 'DELETE' });
  });

  it('a message a rule sends does not set the rule off again: one echo per message, not a loop', async () => {
    const rule = await api('/api/rules', {
      name: 'Echo sends',
      trigger: { event: 'message_sent', clientId: 'shop' },
      actions: [{ type: 'whatsapp', clientId: 'shop', to: '15550003333', text: 'sent to {{data.to}}: {{data.message}}' }],
    });
    expect(rule.status).toBe(201);
    expect((await api('/api/send-message', { clientId: 'shop', number: '15550004444', message: 'hello', wait: true })).status).toBe(200);
    await until('the echo', async () => ((await api('/api/sandbox/shop/outbox')).json as any[]).some((m) => m.to.startsWith('15550003333')));
    // the echo's own message_sent is the rule's: give it time to (not) run again
    await new Promise((r) => setTimeout(r, 3000));
    const echoes = ((await api('/api/sandbox/shop/outbox')).json as any[]).filter((m) => m.to.startsWith('15550003333'));
    expect(echoes.map((m) => m.body)).toEqual(['sent to 15550004444: hello']);
    expect((await api(`/api/rules/${rule.json.id}/runs`)).json.runs).toHaveLength(1);
    await api(`/api/rules/${rule.json.id}`, undefined, { method: 'DELETE' });
  });

  it('a webhook action posts the event to the rule’s own URL, signed with the rule’s secret, retried like every delivery', async () => {
    const box = receiver.box('rule');
    box.script = [{ status: 503 }, { status: 200, body: { ok: true } }]; // busy once: the delivery outbox retries it
    const rule = await api('/api/rules', {
      name: 'USSD to my server',
      trigger: { event: 'ussd_response' },
      actions: [{ type: 'webhook', url: `${receiver.url}/hook/rule` }],
    });
    expect(rule.status).toBe(201);
    await fromDevice({ type: 'ussd', data: { id: 801, sim: 1, code: '*143#', response: 'Balance: 12.50', timestamp: Math.floor(Date.now() / 1000) } });
    const [, second] = await until('the retried delivery', () => box.received.length >= 2 && box.received, 60_000);
    const verified = new Webhook(rule.json.webhookSecret).verify(second!.body, second!.headers) as any;
    expect(verified).toMatchObject({ event: 'ussd_response', data: { code: '*143#', response: 'Balance: 12.50' } });
    // the same webhook-id on both attempts: one delivery, retried
    expect(second!.headers['webhook-id']).toBe(box.received[0]!.headers['webhook-id']);
    await api(`/api/rules/${rule.json.id}`, undefined, { method: 'DELETE' });
  }, 90_000);

  it('a run cut by a Worker restart finishes after it, each action once: the SMS sent before is not sent again, the email goes once', async () => {
    const rule = await api('/api/rules', {
      name: 'Shop app alerts',
      trigger: { event: 'notification_received', package: ['com.example.shop'] },
      actions: [
        { type: 'sms', to: '+15550005555', text: 'Alert: {{data.content}}' },
        { type: 'email', to: ['alerts@shop.example'], subject: 'Alert: {{data.title}}', body: '{{data.content}}' },
      ],
    });
    smtp.failNext(1); // the mail server is busy on the first try: the run waits to retry (10 s)
    const payload = notification(701, 'com.example.shop', 'Stock', 'Cakes are running low');
    await fromDevice(payload);
    const waiting = await until('the email to wait for its retry', async () => {
      const [run] = (await api(`/api/rules/${rule.json.id}/runs`)).json.runs as any[];
      return run?.steps[0].status === 'done' && run.steps[1].status === 'pending' && run.steps[1].attempts === 1 ? run : undefined;
    });
    expect(waiting.steps[1].code).toBe('EMAIL_FAILED');

    await system!.worker.restart();
    // the same notification posted again by the phone (it did not hear back in time) is the same event
    await fromDevice(payload);
    const mails = await until(
      'the email after the restart',
      async () => {
        await system!.worker.tick(); // the cron sweep takes up runs nobody is working on
        return smtp.messages('alerts@shop.example').length > 0 && smtp.messages('alerts@shop.example');
      },
      120_000,
    );
    const [run] = (await until('the run to finish', () => finishedRuns(rule.json.id)))!;
    expect(run.status).toBe('done');
    expect(run.steps.map((s: any) => s.attempts)).toEqual([1, 2]);
    await new Promise((r) => setTimeout(r, 2000));
    expect(smtp.messages('alerts@shop.example')).toHaveLength(1);
    expect(mails[0]!.subject).toBe('Alert: Stock');
    expect((await api(`/api/rules/${rule.json.id}/runs`)).json.runs).toHaveLength(1);
    const smsToAlert = ((await api('/api/sms?limit=100')).json.messages as any[]).filter((m) => m.to === '+15550005555');
    expect(smsToAlert).toHaveLength(1);
  }, 180_000);
});
