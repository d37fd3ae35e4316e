import { eq } from 'drizzle-orm';
import { getDb } from '../../db/client.ts';
import { clients, users } from '../../db/schema.ts';
import { inList } from '../../lib/sql-list.ts';
import { audit } from '../../lib/audit.ts';
import { ApiError } from '../../lib/errors.ts';
import { createRouter } from '../../lib/router.ts';
import { iso } from '../../lib/time.ts';
import { confirmedFleet, linkOf } from '../../services/bridge-commands.ts';
import { issueBridgeToken, listBridges, revokeBridge } from '../../services/bridge-credentials.ts';
import { createUser } from '../../services/users.ts';
import { createUserRoute, issueBridgeRoute, listBridgesRoute, revokeBridgeRoute } from './admin.routes.ts';

export const adminRouter = createRouter()
  .openapi(createUserRoute, async (c) => {
    const input = c.req.valid('json');
    const { apiKey, role, maxClients } = await createUser(getDb(c.env.DB), c.env.SEAL_KEY, input);
    await audit(c, { userId: c.get('auth').userId, category: 'app', event: 'user_created', message: `Created ${input.role} ${input.username}` });
    return c.json({ username: input.username, role, maxClients, apiKey }, 201);
  })
  .openapi(issueBridgeRoute, async (c) => {
    const { bridgeId } = c.req.valid('json');
    const token = await issueBridgeToken(getDb(c.env.DB), bridgeId);
    // a live link of the old credential closes: the bridge must reconnect with the new token
    await linkOf(c.env, bridgeId).disconnect();
    await audit(c, {
      userId: c.get('auth').userId,
      category: 'security',
      event: 'bridge_credential_issued',
      message: `Issued a credential for bridge ${bridgeId}`,
    });
    return c.json({ bridgeId, token }, 201);
  })
  .openapi(listBridgesRoute, async (c) => {
    const db = getDb(c.env.DB);
    const [rows, link] = await Promise.all([listBridges(db), confirmedFleet(c.env)]);
    const live = new Map(link.map((b) => [b.bridgeId, b]));
    const refs = link.flatMap((b) => b.clientRefs);
    const names = new Map<number, { clientId: string; username: string }>();
    if (refs.length) {
      const found = await db
        .select({ id: clients.id, clientId: clients.clientId, username: users.username })
        .from(clients)
        .innerJoin(users, eq(users.id, clients.userId))
        .where(inList(clients.id, refs));
      for (const f of found) names.set(f.id, { clientId: f.clientId, username: f.username });
    }
    return c.json(
      {
        bridges: rows.map((r) => {
          const b = live.get(r.bridgeId);
          return {
            bridgeId: r.bridgeId,
            createdAt: iso(r.createdAt),
            revoked: r.revokedAt !== null,
            connected: b?.live ?? false,
            draining: b?.draining ?? false,
            transport: b?.transport ?? null,
            version: b?.version ?? null,
            lastHeartbeat: b ? iso(b.seenAt) : null,
            clients: (b?.clientRefs ?? []).flatMap((ref) => names.get(ref) ?? []),
          };
        }),
      },
      200,
    );
  })
  .openapi(revokeBridgeRoute, async (c) => {
    const { bridgeId } = c.req.valid('param');
    if (!(await revokeBridge(getDb(c.env.DB), bridgeId))) throw new ApiError(404, 'BRIDGE_NOT_FOUND', 'No live credential for this bridge');
    const disconnected = await linkOf(c.env, bridgeId).disconnect();
    await audit(c, { userId: c.get('auth').userId, category: 'security', event: 'bridge_revoked', message: `Revoked bridge ${bridgeId}` });
    return c.json({ success: true as const, disconnected }, 200);
  });
