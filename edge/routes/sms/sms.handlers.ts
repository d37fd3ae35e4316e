import type { z } from '@hono/zod-openapi';
import { smsSegments } from '../../../adapters/sms-segments.ts';
import type { Bindings } from '../../env.ts';
import { ApiError } from '../../lib/errors.ts';
import { createRouter } from '../../lib/router.ts';
import { iso, isoOrNull } from '../../lib/time.ts';
import { expireUssd, moveFromSilentSoon, queueSms, queueUssd, wakeDevice } from '../../services/sms-sends.ts';
import { pageById, textBytes } from '../../lib/pages.ts';
import {
  getSmsRoute,
  getUssdRoute,
  listSmsRoute,
  type SmsSchema,
  type SmsSendSchema,
  sendSmsBulkRoute,
  sendSmsRoute,
  type UssdSchema,
  ussdRoute,
} from './sms.routes.ts';

interface Row {
  id: number;
  public_id: string;
  status: string;
  to: string;
  message: string;
  device_id: string;
  sim: number | null;
  error: string | null;
  not_before: number | null;
  created_at: number;
  sent_at: number | null;
  delivered_at: number | null;
  fallback_of: string | null;
  response: string | null;
  deadline: number | null;
}

const COLUMNS = `o.id, o.public_id, o.status, o."to", o.message, d.device_id, o.sim, o.error, o.not_before, o.created_at, o.sent_at,
  o.delivered_at, o.fallback_of, o.response, o.deadline`;

const rowOf = (env: Bindings, userId: number, id: string, kind: 'send' | 'ussd') =>
  env.DB.prepare(`SELECT ${COLUMNS} FROM device_outbox o JOIN devices d ON d.id = o.device_ref WHERE o.public_id = ? AND o.user_id = ? AND o.kind = ?`)
    .bind(id, userId, kind)
    .first<Row>();

const smsView = (r: Row): z.infer<typeof SmsSchema> => ({
  id: r.public_id,
  status: r.status === 'pending' ? 'queued' : (r.status as 'sending' | 'sent' | 'delivered' | 'failed'),
  to: r.to,
  message: r.message,
  deviceId: r.device_id,
  sim: r.sim,
  segments: smsSegments(r.message),
  error: r.error,
  scheduledFor: isoOrNull(r.not_before),
  createdAt: iso(r.created_at),
  sentAt: isoOrNull(r.sent_at),
  deliveredAt: isoOrNull(r.delivered_at),
  fallbackOf: r.fallback_of,
});

const ussdView = (r: Row): z.infer<typeof UssdSchema> => ({
  id: r.public_id,
  status: r.status === 'pending' ? 'queued' : r.status === 'sending' ? 'running' : r.status === 'failed' ? 'failed' : 'answered',
  deviceId: r.device_id,
  sim: r.sim,
  code: r.to,
  response: r.response,
  error: r.error,
  createdAt: iso(r.created_at),
  deadline: iso(r.deadline ?? r.created_at),
});

async function sendOne(env: Bindings, userId: number, input: z.infer<typeof SmsSendSchema>) {
  const queued = await queueSms(env, userId, input);
  const view: z.infer<typeof SmsSchema> = {
    id: queued.id,
    status: 'queued',
    to: input.to,
    message: input.message,
    deviceId: queued.deviceId,
    sim: queued.sim,
    segments: queued.segments,
    error: null,
    scheduledFor: isoOrNull(queued.notBefore),
    createdAt: iso(queued.createdAt),
    sentAt: null,
    deliveredAt: null,
    fallbackOf: null,
  };
  return { queued, view };
}

export const smsRouter = createRouter()
  .openapi(sendSmsRoute, async (c) => {
    const { userId } = c.get('auth');
    // work stranded on this account's silent devices moves first, so the routing below counts it right
    for (const deviceId of await moveFromSilentSoon(c.env, userId, 'send')) c.executionCtx.waitUntil(wakeDevice(c.env, deviceId));
    const { queued, view } = await sendOne(c.env, userId, c.req.valid('json'));
    if (!queued.notBefore) c.executionCtx.waitUntil(wakeDevice(c.env, queued.deviceId));
    return c.json(view, 202);
  })
  .openapi(sendSmsBulkRoute, async (c) => {
    const { userId } = c.get('auth');
    const woken = new Set(await moveFromSilentSoon(c.env, userId, 'send'));
    const results: ({ ok: true; sms: z.infer<typeof SmsSchema> } | { ok: false; code: string; error: string })[] = [];
    for (const input of c.req.valid('json').messages) {
      try {
        const { queued, view } = await sendOne(c.env, userId, input);
        if (!queued.notBefore) woken.add(queued.deviceId);
        results.push({ ok: true, sms: view });
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        results.push({ ok: false, code: err.code, error: err.message });
      }
    }
    for (const deviceId of woken) c.executionCtx.waitUntil(wakeDevice(c.env, deviceId));
    return c.json({ results }, 202);
  })
  .openapi(listSmsRoute, async (c) => {
    const userId = c.get('auth').userId;
    const page = await pageById(
      c,
      c.req.valid('query'),
      async (before, take) =>
        (
          await c.env.DB.prepare(
            `SELECT ${COLUMNS} FROM device_outbox o JOIN devices d ON d.id = o.device_ref
             WHERE o.user_id = ? AND o.kind = 'send' AND o.id < ? ORDER BY o.id DESC LIMIT ${take}`,
          )
            .bind(userId, before ?? Number.MAX_SAFE_INTEGER)
            .all<Row>()
        ).results,
      (r) => r.id,
      (r) => textBytes(r.message, r.error),
    );
    return c.json({ messages: page.map(smsView) }, 200);
  })
  .openapi(getSmsRoute, async (c) => {
    const row = await rowOf(c.env, c.get('auth').userId, c.req.valid('param').id, 'send');
    if (!row) throw new ApiError(404, 'NOT_FOUND', 'No such SMS');
    return c.json(smsView(row), 200);
  })
  .openapi(ussdRoute, async (c) => {
    const { userId } = c.get('auth');
    const queued = await queueUssd(c.env, userId, c.req.valid('json'));
    c.executionCtx.waitUntil(wakeDevice(c.env, queued.deviceId));
    return c.json(ussdView((await rowOf(c.env, userId, queued.id, 'ussd'))!), 202);
  })
  .openapi(getUssdRoute, async (c) => {
    await expireUssd(c.env, Date.now(), (p) => c.executionCtx.waitUntil(p), c.get('auth').userId);
    const row = await rowOf(c.env, c.get('auth').userId, c.req.valid('param').id, 'ussd');
    if (!row) throw new ApiError(404, 'NOT_FOUND', 'No such USSD request');
    return c.json(ussdView(row), 200);
  });
