// Client lookups always go through the caller's scope: another user's client is simply not found.
import { and, eq } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { clients } from '../db/schema.ts';
import type { AuthContext } from '../env.ts';
import { ApiError } from '../lib/errors.ts';
import { TtlCache } from '../lib/ttl-cache.ts';

export type ClientRow = typeof clients.$inferSelect;

/**
 * Client rows this isolate read lately (5 s): the hot path reads no D1 for a client it just used. What
 * changes a client here (webhook saved, deleted) forgets it at once; other isolates see it within 5 s.
 */
const recentClients = new TtlCache<string, ClientRow>(5000);

/** A row read for one lookup serves the other too (by owner and name, and by reference): one read, not two. */
function remember(row: ClientRow) {
  recentClients.set(`${row.userId}:${row.clientId}`, row);
  recentClients.set(`ref:${row.id}`, row);
}

export const forgetClient = (clientRef: number) => recentClients.deleteWhere((row) => row.id === clientRef);

export async function findOwnClient(db: Db, auth: AuthContext, clientId: string): Promise<ClientRow> {
  const cacheKey = `${auth.userId}:${clientId}`;
  let row = recentClients.get(cacheKey);
  if (!row) {
    [row] = await db
      .select()
      .from(clients)
      .where(and(eq(clients.userId, auth.userId), eq(clients.clientId, clientId)))
      .limit(1);
    if (row) {
      remember(row);
      recentClients.set(cacheKey, row); // as asked (a name spelled differently would miss otherwise)
    }
  }
  // A client key sees only its own client.
  if (!row || (auth.clientRef !== null && auth.clientRef !== row.id)) throw new ApiError(404, 'CLIENT_NOT_FOUND', 'Client not found');
  return row;
}

/** A client by its internal reference (work the system does for it, not a caller's request); null when deleted. */
export async function clientByRef(db: Db, clientRef: number): Promise<ClientRow | null> {
  const cacheKey = `ref:${clientRef}`;
  let row = recentClients.get(cacheKey);
  if (!row) {
    [row] = await db.select().from(clients).where(eq(clients.id, clientRef)).limit(1);
    if (row) remember(row);
  }
  return row ?? null;
}

/** The clients a caller may see: the account's, or only its own for a client key (a drizzle condition). */
export const ownClients = (auth: AuthContext) => and(eq(clients.userId, auth.userId), auth.clientRef === null ? undefined : eq(clients.id, auth.clientRef));

/** How GET /api/clients shows a status, as the spec does. */
export const statusLabel = (status: ClientRow['status']): string =>
  ({ pending_auth: 'Pending Authentication', connected: 'Authenticated', disconnected: 'Disconnected', logged_out: 'Logged Out' })[status];
