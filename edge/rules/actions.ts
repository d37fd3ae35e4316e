// What each action of a rule does for one event. Every send carries an id derived from (run, action), so
// doing an action again after a crash queues nothing new: the WhatsApp queue id, the SMS id, the device
// reply's source and the webhook delivery id are each unique. Only an email cannot be taken back; the
// runner marks it before the SMTP exchange and never repeats one it is in doubt about.
import type { ReplyRoute } from '../../adapters/android/index.ts';
import type { WebhookEvent } from '../../adapters/events.ts';
import { getDb } from '../db/client.ts';
import type { Bindings } from '../env.ts';
import { ApiError } from '../lib/errors.ts';
import { clientByRef } from '../services/clients.ts';
import { derivedQueueId, queueSend } from '../services/send-queue.ts';
import { queueSms, wakeDevice } from '../services/sms-sends.ts';
import { deliveryIdFor, deliveryInsert, wake } from '../webhooks/enqueue.ts';
import { allowPrivateUrls } from '../../adapters/url-guard.ts';
import { checkMailSettings, sendMail } from './mail.ts';
import { loadMailSettings } from './mail-settings.ts';
import type { RuleAction } from './schema.ts';
import { renderTemplate } from './template.ts';
import { sha256Hex } from '../lib/secrets.ts';

/** The event a run acts on, as kept for rules. */
export interface RunEvent {
  id: string;
  event: WebhookEvent;
  clientRef: number | null;
  deviceRef: number | null;
  source: string | null;
  replyRoute: ReplyRoute | null;
}

export interface RunContext {
  env: Bindings;
  userId: number;
  runId: string;
  rule: { ref: number; id: string; name: string };
  ev: RunEvent;
  waitUntil: (p: Promise<unknown>) => void;
}

export type ActionOutcome = { ok: true; result: Record<string, unknown> } | { ok: false; retry: boolean; code: string; error: string };

const fail = (code: string, error: string, retry = false): ActionOutcome => ({ ok: false, retry, code, error });

/** API errors a send can meet: waiting helps for capacity and availability, not for a wrong address. */
function fromApiError(err: unknown): ActionOutcome {
  if (err instanceof ApiError) return fail(err.code, err.message, err.status === 429 || err.status === 409 || err.status >= 500);
  return fail('INTERNAL', err instanceof Error ? err.message : String(err), true);
}

const render = (ctx: RunContext, text: string, max: number) =>
  Array.from(renderTemplate(text, { event: ctx.ev.event, rule: { id: ctx.rule.id, name: ctx.rule.name } }))
    .slice(0, max)
    .join('');

/** The most a rendered text may be, per channel (event text can be long: a stranger's 65,000 characters must not become 400 SMS). */
export const TEXT_LIMITS = { sms: 1600, whatsapp: 4096, emailBody: 100_000, subject: 300 } as const;

const cause = (ctx: RunContext, index: number) => `${ctx.runId}:${index}`;

async function whatsapp(ctx: RunContext, index: number, clientRef: number, to: string, text: string): Promise<ActionOutcome> {
  const client = await clientByRef(getDb(ctx.env.DB), clientRef);
  if (!client || client.userId !== ctx.userId) return fail('CLIENT_NOT_FOUND', 'The WhatsApp client is gone');
  try {
    const id = await derivedQueueId(client.id, 'u', cause(ctx, index));
    // already settled (a crash after the send, before this step was written): the queue forgets sent rows, D1 does not
    const settled = await ctx.env.DB.prepare('SELECT status FROM sent_messages WHERE client_ref = ? AND queue_id = ?')
      .bind(client.id, id)
      .first<{ status: string }>();
    if (settled?.status === 'failed' || settled?.status === 'cancelled') return fail('SEND_FAILED', `The message ${id} was ${settled.status}`);
    if (settled) return { ok: true, result: { channel: 'whatsapp', clientId: client.clientId, to, messageId: id, status: settled.status } };
    const queued = await queueSend(ctx.env, client, { to: to.replace(/^\+/, ''), text, origin: 'rule' }, { lane: 'interactive', id });
    return { ok: true, result: { channel: 'whatsapp', clientId: client.clientId, to, messageId: queued.id, status: queued.status } };
  } catch (err) {
    return fromApiError(err);
  }
}

async function reply(ctx: RunContext, index: number, template: string): Promise<ActionOutcome> {
  const route = ctx.ev.replyRoute;
  if (!route) return fail('NO_REPLY_ROUTE', 'This event has no sender to answer');
  const text = render(ctx, template, route.channel === 'sms' ? TEXT_LIMITS.sms : TEXT_LIMITS.whatsapp);
  if (ctx.ev.clientRef !== null) return whatsapp(ctx, index, ctx.ev.clientRef, route.to, text);
  if (ctx.ev.deviceRef === null) return fail('NO_REPLY_ROUTE', 'This event has no sender to answer');
  // a device reply waits in the device's outbox; its source (unique) makes a repeat the same reply
  // one statement: the device must still be this account's (removed, the reply has nowhere to go)
  const inserted = await ctx.env.DB.prepare(
    `INSERT INTO device_outbox (device_ref, channel, "to", sim, message, source_delivery, rule_run, user_id)
     SELECT id, ?, ?, ?, ?, ?, ?, user_id FROM devices WHERE id = ? AND user_id = ? ON CONFLICT DO NOTHING RETURNING id`,
  )
    .bind(route.channel, route.to, route.sim ?? null, text, `rule:${cause(ctx, index)}`, ctx.runId, ctx.ev.deviceRef, ctx.userId)
    .first<{ id: number }>();
  if (!inserted) {
    const exists = await ctx.env.DB.prepare('SELECT 1 FROM devices WHERE id = ? AND user_id = ?').bind(ctx.ev.deviceRef, ctx.userId).first();
    if (!exists) return fail('DEVICE_NOT_FOUND', 'The device that received the event was removed');
  }
  const deviceId = ctx.ev.source;
  // not thinned: a device's hub wakes its long-poll only when told (a skipped wake-up would leave a reply waiting out the poll)
  if (deviceId) ctx.waitUntil(wakeDevice(ctx.env, deviceId));
  return { ok: true, result: { channel: route.channel, deviceId: ctx.ev.source, to: route.to, outboxId: inserted?.id ?? null } };
}

async function sms(ctx: RunContext, index: number, action: Extract<RuleAction, { type: 'sms' }>, text: string): Promise<ActionOutcome> {
  try {
    const id = `sms_${(await sha256Hex(cause(ctx, index))).slice(0, 16)}`;
    const queued = await queueSms(
      ctx.env,
      ctx.userId,
      { to: action.to, message: text, ...(action.deviceId ? { deviceId: action.deviceId } : {}), ...(action.sim !== undefined ? { sim: action.sim } : {}) },
      { id, ruleRun: ctx.runId },
    );
    ctx.waitUntil(wakeDevice(ctx.env, queued.deviceId));
    return { ok: true, result: { channel: 'sms', id, deviceId: queued.deviceId, to: action.to } };
  } catch (err) {
    return fromApiError(err);
  }
}

async function webhook(ctx: RunContext, index: number): Promise<ActionOutcome> {
  const id = await deliveryIdFor(`rule:${cause(ctx, index)}`);
  const endpoint = `rule:${ctx.rule.ref}:${index}` as const;
  await deliveryInsert(getDb(ctx.env.DB), { id, userId: ctx.userId, endpoint, event: ctx.ev.event });
  ctx.waitUntil(wake(ctx.env, endpoint).catch((e) => console.error('webhook wake-up failed; the cron sweep will retry', e)));
  return { ok: true, result: { deliveryId: id } };
}

async function email(ctx: RunContext, index: number, action: Extract<RuleAction, { type: 'email' }>): Promise<ActionOutcome> {
  const settings = await loadMailSettings(ctx.env, ctx.userId);
  if (!settings) return fail('NO_MAIL_SERVER', 'The account has no outgoing mail server: set one with PUT /api/mail');
  // checked again when sending: the deployment may have stopped allowing private hosts since it was saved
  const refused = checkMailSettings(settings, { allowPrivate: allowPrivateUrls(ctx.env), hasBinding: ctx.env.EMAIL !== undefined });
  if (refused) return fail('MAIL_SERVER_REFUSED', refused);
  const attach = action.attachPayload !== false;
  const sent = await sendMail(
    settings,
    {
      to: action.to,
      subject: render(ctx, action.subject, TEXT_LIMITS.subject),
      text: render(ctx, action.body, TEXT_LIMITS.emailBody),
      attachments: attach ? [{ filename: 'event.json', content: JSON.stringify(ctx.ev.event, null, 2), mimeType: 'application/json' }] : [],
      messageId: `<${cause(ctx, index).replace(':', '.')}@switchboard>`,
    },
    ctx.env,
  );
  if (!sent.ok) return fail('EMAIL_FAILED', sent.error, sent.retry);
  return { ok: true, result: { to: action.to } };
}

export async function perform(ctx: RunContext, action: RuleAction, index: number): Promise<ActionOutcome> {
  switch (action.type) {
    case 'email':
      return email(ctx, index, action);
    case 'reply':
      return reply(ctx, index, action.text);
    case 'whatsapp': {
      const ref = await ctx.env.DB.prepare('SELECT id FROM clients WHERE user_id = ? AND client_id = ?')
        .bind(ctx.userId, action.clientId)
        .first<{ id: number }>();
      if (!ref) return fail('CLIENT_NOT_FOUND', `No WhatsApp client ${action.clientId}`);
      return whatsapp(ctx, index, ref.id, action.to, render(ctx, action.text, TEXT_LIMITS.whatsapp));
    }
    case 'sms':
      return sms(ctx, index, action, render(ctx, action.text, TEXT_LIMITS.sms));
    case 'webhook':
      return webhook(ctx, index);
    case 'stop':
      return { ok: true, result: {} };
  }
}
