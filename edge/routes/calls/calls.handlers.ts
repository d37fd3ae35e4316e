import { and, desc, eq, lt } from 'drizzle-orm';
import { getDb } from '../../db/client.ts';
import { calls, clients } from '../../db/schema.ts';
import { createRouter } from '../../lib/router.ts';
import { pageById } from '../../lib/pages.ts';
import { iso } from '../../lib/time.ts';
import { findOwnClient, ownClients } from '../../services/clients.ts';
import { callLogsRoute, incomingCallsRoute } from './calls.routes.ts';

const presentCall = (r: typeof calls.$inferSelect, clientId: string) => ({
  id: r.id,
  client_id: clientId,
  call_from: r.callFrom,
  is_video: r.isVideo,
  start_time: iso(r.startTime),
  end_time: null,
  duration: null,
  created_at: iso(r.createdAt),
});

export const callsRouter = createRouter()
  .openapi(incomingCallsRoute, async (c) => {
    const db = getDb(c.env.DB);
    const client = await findOwnClient(db, c.get('auth'), c.req.valid('param').clientId);
    const page = await pageById(
      c,
      c.req.valid('query'),
      (before, take) =>
        db
          .select()
          .from(calls)
          .where(and(eq(calls.clientRef, client.id), before ? lt(calls.id, before) : undefined))
          .orderBy(desc(calls.id))
          .limit(take),
      (r) => r.id,
      () => 200,
    );
    return c.json({ status: 'success' as const, calls: page.map((r) => presentCall(r, client.clientId)) }, 200);
  })
  .openapi(callLogsRoute, async (c) => {
    const page = await pageById(
      c,
      c.req.valid('query'),
      (before, take) =>
        getDb(c.env.DB)
          .select({ call: calls, clientId: clients.clientId })
          .from(calls)
          .innerJoin(clients, eq(clients.id, calls.clientRef))
          .where(and(ownClients(c.get('auth')), before ? lt(calls.id, before) : undefined))
          .orderBy(desc(calls.id))
          .limit(take),
      (r) => r.call.id,
      () => 200,
    );
    return c.json({ status: 'success' as const, calls: page.map((r) => presentCall(r.call, r.clientId)) }, 200);
  });
