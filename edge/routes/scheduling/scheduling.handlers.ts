import type { Context } from 'hono';
import { and, desc, eq, lt, or, type SQL } from 'drizzle-orm';
import { getDb } from '../../db/client.ts';
import { clients, scheduledMessages } from '../../db/schema.ts';
import type { AppEnv, AuthContext } from '../../env.ts';
import { scheduledQueueId } from '../../services/send-queue.ts';
import { ApiError } from '../../lib/errors.ts';
import { fitPage, parseCursor, setNextCursor, textBytes } from '../../lib/pages.ts';
import { createRouter } from '../../lib/router.ts';
import { findOwnClient } from '../../services/clients.ts';
import { hubFor } from '../../services/bridge-commands.ts';
import { scheduleRoutes } from './scheduling.routes.ts';
import type { z } from '@hono/zod-openapi';
import type { ScheduleSchema } from './scheduling.routes.ts';

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString().replace('.000Z', 'Z'));

const present = (r: typeof scheduledMessages.$inferSelect, clientId: string) => ({
  id: r.id,
  clientId,
  recipient: r.recipient,
  message: r.message,
  scheduleTime: iso(r.scheduleTime)!,
  status: r.status,
  createdAt: iso(r.createdAt)!,
  sentTime: iso(r.sentAt),
  failureReason: r.failureReason,
});

const scope = (auth: AuthContext): SQL | undefined =>
  and(eq(scheduledMessages.userId, auth.userId), auth.clientRef === null ? undefined : eq(scheduledMessages.clientRef, auth.clientRef));

async function create(c: Context<AppEnv>, body: z.infer<typeof ScheduleSchema>) {
  const at = Date.parse(body.scheduleTime);
  if (at < Date.now() - 1000) throw new ApiError(400, 'VALIDATION_ERROR', 'scheduleTime is in the past');
  if (at > Date.now() + 366 * 86_400_000) throw new ApiError(400, 'VALIDATION_ERROR', 'scheduleTime is more than a year ahead');
  const db = getDb(c.env.DB);
  const client = await findOwnClient(db, c.get('auth'), body.clientId);
  const [row] = await db
    .insert(scheduledMessages)
    .values({ userId: client.userId, clientRef: client.id, recipient: `+${body.number}`, message: body.message, scheduleTime: at })
    .returning();
  // the client's object wakes at the second; the cron sweep is the safety net
  c.executionCtx.waitUntil(
    hubFor(c.env, client.id)
      .schedule(client.id, at)
      .catch((e: unknown) => console.error('scheduling alarm failed; the cron sweep will pick it up', e)),
  );
  return { success: true as const, ...present(row!, client.clientId) };
}

async function list(c: Context<AppEnv>, query: { status?: (typeof scheduledMessages.$inferSelect)['status']; limit: number; cursor?: string }) {
  const after = parseCursor(query.cursor);
  const t = scheduledMessages.scheduleTime;
  const rows = await getDb(c.env.DB)
    .select({ row: scheduledMessages, clientId: clients.clientId })
    .from(scheduledMessages)
    .innerJoin(clients, eq(clients.id, scheduledMessages.clientRef))
    .where(
      and(
        scope(c.get('auth')),
        query.status ? eq(scheduledMessages.status, query.status) : undefined,
        after ? or(lt(t, after.at), and(eq(t, after.at), lt(scheduledMessages.id, after.id))) : undefined,
      ),
    )
    .orderBy(desc(t), desc(scheduledMessages.id))
    .limit(query.limit + 1);
  const { page, more } = fitPage(rows, query.limit, (r) => textBytes(r.row.message, r.row.failureReason));
  const last = page.at(-1)?.row;
  setNextCursor(c, more && last ? `${last.scheduleTime}_${last.id}` : null);
  return page.map((r) => present(r.row, r.clientId));
}

async function cancel(c: Context<AppEnv>, id: number) {
  const db = getDb(c.env.DB);
  const [row] = await db
    .select()
    .from(scheduledMessages)
    .where(and(scope(c.get('auth')), eq(scheduledMessages.id, id)));
  if (!row) throw new ApiError(404, 'NOT_FOUND', 'Scheduled message not found');
  if (row.status === 'queued') {
    // it came due and waits in the number's send queue: cancelled there (the queue settles this row)
    const result = await hubFor(c.env, row.clientRef).cancel(scheduledQueueId(row.clientRef, id));
    if (result === 'cancelled') return { message: 'Schedule cancelled.' };
    throw new ApiError(
      409,
      'NOT_PENDING',
      `Only a pending message can be cancelled; this one ${result === 'sending' ? 'is being sent' : 'has left the queue'}`,
    );
  }
  // atomic against the dispatcher's claim: only a still-pending row can be cancelled
  const changed = await db
    .update(scheduledMessages)
    .set({ status: 'cancelled' })
    .where(and(eq(scheduledMessages.id, id), eq(scheduledMessages.status, 'pending')))
    .returning({ id: scheduledMessages.id });
  if (!changed.length)
    throw new ApiError(409, 'NOT_PENDING', `Only a pending message can be cancelled; this one is ${row.status === 'pending' ? 'being sent' : row.status}`);
  return { message: 'Schedule cancelled.' };
}

export const schedulingRouter = createRouter()
  .openapi(scheduleRoutes.create, async (c) => c.json(await create(c, c.req.valid('json')), 200))
  .openapi(scheduleRoutes.createApi, async (c) => c.json(await create(c, c.req.valid('json')), 200))
  .openapi(scheduleRoutes.list, async (c) => c.json(await list(c, c.req.valid('query')), 200))
  .openapi(scheduleRoutes.listApi, async (c) => c.json(await list(c, c.req.valid('query')), 200))
  .openapi(scheduleRoutes.cancel, async (c) => c.json(await cancel(c, c.req.valid('param').id), 200))
  .openapi(scheduleRoutes.cancelApi, async (c) => c.json(await cancel(c, c.req.valid('param').id), 200));
