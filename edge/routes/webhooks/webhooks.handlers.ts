import { and, desc, eq, lt, or, sql } from 'drizzle-orm';
import { getDb, type Db } from '../../db/client.ts';
import { clients, devices, rules, webhookDeliveries } from '../../db/schema.ts';
import type { AuthContext } from '../../env.ts';
import { ApiError } from '../../lib/errors.ts';
import { fitPage, parseCursor, setNextCursor, textBytes } from '../../lib/pages.ts';
import { createRouter } from '../../lib/router.ts';
import { isoOrNull as iso } from '../../lib/time.ts';
import { audit } from '../../lib/audit.ts';
import { findOwnClient } from '../../services/clients.ts';
import { wake } from '../../webhooks/enqueue.ts';
import { parseEndpointKey, saveWebhook } from '../../webhooks/endpoint.ts';
import { listDeliveriesRoute, replayRoute, updateWebhookRoute } from './webhooks.routes.ts';

type Row = typeof webhookDeliveries.$inferSelect & { label: string | null };

/** Deliveries the caller may see: the account's, or only its own client's for a client key. */
function scope(auth: AuthContext) {
  return and(eq(webhookDeliveries.userId, auth.userId), auth.clientRef === null ? undefined : eq(webhookDeliveries.endpoint, `client:${auth.clientRef}`));
}

function select(db: Db) {
  return (
    db
      .select({
        row: webhookDeliveries,
        rowid: sql<number>`${webhookDeliveries}.rowid`,
        label: sql<string | null>`coalesce(${clients.clientId}, ${devices.deviceId}, ${rules.publicId})`,
      })
      .from(webhookDeliveries)
      .leftJoin(clients, sql`${webhookDeliveries.endpoint} = 'client:' || ${clients.id}`)
      .leftJoin(devices, sql`${webhookDeliveries.endpoint} = 'device:' || ${devices.id}`)
      // `rule:<id>:<action>`: the rule's id read out of the endpoint, so the join is a primary-key lookup
      .leftJoin(
        rules,
        sql`${webhookDeliveries.endpoint} LIKE 'rule:%' AND ${rules.id} = CAST(substr(${webhookDeliveries.endpoint}, 6, instr(substr(${webhookDeliveries.endpoint}, 6), ':') - 1) AS INTEGER)`,
      )
  );
}

const present = ({ row, label }: { row: Row | typeof webhookDeliveries.$inferSelect; label: string | null }) => ({
  id: row.id,
  event: row.event,
  endpoint: { kind: parseEndpointKey(row.endpoint)?.kind ?? ('client' as const), id: label ?? '(removed)' },
  status: row.status,
  attempts: row.attempts,
  lastStatus: row.lastStatus,
  lastError: row.lastError,
  nextAttemptAt: row.status === 'pending' ? iso(row.nextAttemptAt) : null,
  createdAt: iso(row.createdAt)!,
  deliveredAt: iso(row.deliveredAt),
});

export const webhooksRouter = createRouter()
  .openapi(listDeliveriesRoute, async (c) => {
    const { status, event, limit, cursor } = c.req.valid('query');
    const after = parseCursor(cursor);
    const t = webhookDeliveries.createdAt;
    const rowid = sql`${webhookDeliveries}.rowid`;
    const rows = await select(getDb(c.env.DB))
      .where(
        and(
          scope(c.get('auth')),
          status ? eq(webhookDeliveries.status, status) : undefined,
          event ? eq(webhookDeliveries.event, event) : undefined,
          after ? or(lt(t, after.at), and(eq(t, after.at), sql`${rowid} < ${after.id}`)) : undefined,
        ),
      )
      .orderBy(desc(t), desc(rowid))
      .limit(limit + 1);
    const { page, more } = fitPage(rows, limit, (r) => textBytes(r.row.lastError));
    const last = page.at(-1);
    setNextCursor(c, more && last ? `${last.row.createdAt}_${last.rowid}` : null);
    return c.json({ deliveries: page.map(present) }, 200);
  })
  .openapi(replayRoute, async (c) => {
    const { id } = c.req.valid('param');
    const db = getDb(c.env.DB);
    const [found] = await select(db)
      .where(and(scope(c.get('auth')), eq(webhookDeliveries.id, id)))
      .limit(1);
    if (!found) throw new ApiError(404, 'NOT_FOUND', 'Delivery not found');
    if (found.row.status === 'pending') throw new ApiError(409, 'ALREADY_PENDING', 'This delivery is already queued');
    const [row] = await db
      .update(webhookDeliveries)
      .set({ status: 'pending', attempts: 0, nextAttemptAt: Date.now(), lastError: null, lastStatus: null, deliveredAt: null })
      .where(and(eq(webhookDeliveries.id, id), sql`${webhookDeliveries.status} <> 'pending'`))
      .returning();
    if (!row) throw new ApiError(409, 'ALREADY_PENDING', 'This delivery is already queued');
    await wake(c.env, row.endpoint);
    return c.json({ success: true as const, delivery: present({ row, label: found.label }) }, 200);
  })
  .openapi(updateWebhookRoute, async (c) => {
    const { clientId, webhookUrl, rotateSecret } = c.req.valid('json');
    const auth = c.get('auth');
    const client = await findOwnClient(getDb(c.env.DB), auth, clientId);
    const key = `client:${client.id}` as const;
    const saved = await saveWebhook(c.env, key, client, { webhookUrl, rotateSecret });
    if (saved.resumed) c.executionCtx.waitUntil(wake(c.env, key));
    const url = saved.webhookUrl;
    await audit(c, {
      userId: auth.userId,
      category: 'app',
      event: 'webhook_updated',
      message: url ? `Webhook of ${clientId} set to ${url}` : `Webhook of ${clientId} removed`,
    });
    return c.json(
      {
        success: true as const,
        message: url ? 'Webhook URL updated.' : 'Webhook removed.',
        clientId,
        webhookUrl: url,
        webhookSecret: c.get('auth').via === 'session' ? null : saved.webhookSecret,
      },
      200,
    );
  });
