import { and, eq } from 'drizzle-orm';
import { type Db, getDb } from '../../db/client.ts';
import { sentMessages } from '../../db/schema.ts';
import type { AuthContext } from '../../env.ts';
import { ApiError } from '../../lib/errors.ts';
import { createRouter } from '../../lib/router.ts';
import { iso } from '../../lib/time.ts';
import { hubFor } from '../../services/bridge-commands.ts';
import { type ClientRow, clientByRef, findOwnClient } from '../../services/clients.ts';
import type { QueuedRow } from '../../services/queue-store.ts';
import { clientRefOf } from '../../services/send-queue.ts';
import { cancelCause, fallbackOf } from '../../services/fallbacks.ts';
import { cancelMessageRoute, getGovernorRoute, messageStatusRoute, putGovernorRoute, queueRoute } from './queue.routes.ts';

const notFound = () => new ApiError(404, 'MESSAGE_NOT_FOUND', 'Message not found');

/** The client a message id names, if the caller may see it (another user's message is simply not found). */
async function ownerOf(db: Db, auth: AuthContext, id: string): Promise<ClientRow> {
  const ref = clientRefOf(id);
  const client = ref === null ? null : await clientByRef(db, ref);
  if (!client || client.userId !== auth.userId || (auth.clientRef !== null && auth.clientRef !== client.id)) throw notFound();
  return client;
}

const fromQueue = (client: ClientRow, row: QueuedRow) => {
  const base = {
    messageId: row.id,
    clientId: client.clientId,
    to: row.send.to,
    channel: 'whatsapp' as const,
    lane: row.lane,
    queuedAt: iso(row.createdAt),
    notBefore: iso(row.notBefore),
    expiresAt: iso(row.expiresAt),
  };
  const { outcome } = row;
  // the bridge answered but D1 has not recorded it yet: the outcome is already what it is
  if (outcome?.kind === 'sent') return { ...base, status: 'sent' as const, reason: null, sentAt: iso(outcome.timestamp), whatsappId: outcome.messageId };
  if (outcome) return { ...base, status: outcome.kind, reason: `${outcome.code}: ${outcome.message}`, sentAt: null, whatsappId: null };
  // cancelled, its record in D1 still to come
  if (row.state === 'cancelling') {
    const { code, message } = cancelCause(row.lastCode);
    return { ...base, status: 'cancelled' as const, reason: `${code}: ${message}`, sentAt: null, whatsappId: null };
  }
  return { ...base, status: row.state === 'sending' ? ('sending' as const) : ('queued' as const), reason: row.lastError, sentAt: null, whatsappId: null };
};

/** A message that left the queue: its outcome, as D1 keeps it. */
async function settledView(db: Db, client: ClientRow, id: string) {
  const [row] = await db
    .select()
    .from(sentMessages)
    .where(and(eq(sentMessages.clientRef, client.id), eq(sentMessages.queueId, id)))
    .limit(1);
  if (!row) return null;
  const left = row.status !== 'failed' && row.status !== 'cancelled';
  return {
    messageId: id,
    clientId: client.clientId,
    to: row.recipient,
    status: row.status,
    channel: 'whatsapp' as const,
    reason: row.error,
    lane: null,
    queuedAt: null,
    notBefore: null,
    expiresAt: null,
    sentAt: left ? iso(row.sentAt) : null,
    whatsappId: row.messageId,
  };
}

async function messageView(db: Db, env: Parameters<typeof hubFor>[0], client: ClientRow, id: string) {
  // the queue first, then D1: a row leaves the queue only after its outcome is written there
  const queued = await hubFor(env, client.id).lookup(id);
  if (queued) return fromQueue(client, queued);
  const settled = await settledView(db, client, id);
  if (!settled) throw notFound();
  return settled;
}

export const queueRouter = createRouter()
  .openapi(messageStatusRoute, async (c) => {
    const db = getDb(c.env.DB);
    const { id } = c.req.valid('param');
    const client = await ownerOf(db, c.get('auth'), id);
    const [view, fallback] = await Promise.all([messageView(db, c.env, client, id), fallbackOf(c.env, id)]);
    return c.json(fallback ? { ...view, fallback } : view, 200);
  })
  .openapi(cancelMessageRoute, async (c) => {
    const db = getDb(c.env.DB);
    const { id } = c.req.valid('param');
    const client = await ownerOf(db, c.get('auth'), id);
    const result = await hubFor(c.env, client.id).cancel(id);
    if (result === 'sending') throw new ApiError(409, 'MESSAGE_SENDING', 'The message is being sent; it can no longer be cancelled');
    const view = await messageView(db, c.env, client, id);
    if (result === 'missing' || result === 'settling')
      throw new ApiError(409, 'NOT_QUEUED', `Only a queued message can be cancelled; this one is ${view.status}`);
    return c.json(view, 200);
  })
  .openapi(queueRoute, async (c) => {
    const client = await findOwnClient(getDb(c.env.DB), c.get('auth'), c.req.valid('param').clientId);
    const view = await hubFor(c.env, client.id).queueView();
    const nextSendAt = Math.max(view.counts.nextAt ?? 0, view.pausedUntil ?? 0, view.heldUntil ?? 0);
    return c.json(
      {
        clientId: client.clientId,
        depth: view.counts.depth,
        interactive: view.counts.interactive,
        bulk: view.counts.bulk,
        sending: view.counts.sending,
        oldestQueuedAt: view.counts.oldestAt === null ? null : iso(view.counts.oldestAt),
        nextSendAt: view.counts.depth > view.counts.sending && nextSendAt > 0 ? iso(nextSendAt) : null,
        pausedUntil: view.pausedUntil === null ? null : iso(view.pausedUntil),
        pauseReason: view.pauseReason,
        heldBy: view.heldBy,
        policy: view.policy,
      },
      200,
    );
  })
  .openapi(getGovernorRoute, async (c) => {
    const client = await findOwnClient(getDb(c.env.DB), c.get('auth'), c.req.valid('param').clientId);
    const view = await hubFor(c.env, client.id).queueView();
    return c.json({ policy: view.policy, override: view.override }, 200);
  })
  .openapi(putGovernorRoute, async (c) => {
    const client = await findOwnClient(getDb(c.env.DB), c.get('auth'), c.req.valid('param').clientId);
    const body = c.req.valid('json');
    const hub = hubFor(c.env, client.id);
    const policy = await hub.setPolicy(Object.keys(body).length ? body : null);
    return c.json({ policy, override: Object.keys(body).length ? body : null }, 200);
  });
