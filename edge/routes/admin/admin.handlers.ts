import { getDb } from '../../db/client.ts';
import { audit } from '../../lib/audit.ts';
import { ApiError } from '../../lib/errors.ts';
import { createRouter } from '../../lib/router.ts';
import { iso } from '../../lib/time.ts';
import { linkFor } from '../../services/bridge-commands.ts';
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
    await linkFor(c.env).disconnect(bridgeId);
    await audit(c, {
      userId: c.get('auth').userId,
      category: 'security',
      event: 'bridge_credential_issued',
      message: `Issued a credential for bridge ${bridgeId}`,
    });
    return c.json({ bridgeId, token }, 201);
  })
  .openapi(listBridgesRoute, async (c) => {
    const [rows, link] = await Promise.all([listBridges(getDb(c.env.DB)), linkFor(c.env).status()]);
    const live = new Map(link.bridges.map((b) => [b.bridgeId, b.transport]));
    return c.json(
      {
        bridges: rows.map((r) => ({
          bridgeId: r.bridgeId,
          createdAt: iso(r.createdAt),
          revoked: r.revokedAt !== null,
          connected: live.has(r.bridgeId),
          transport: live.get(r.bridgeId) ?? null,
        })),
      },
      200,
    );
  })
  .openapi(revokeBridgeRoute, async (c) => {
    const { bridgeId } = c.req.valid('param');
    if (!(await revokeBridge(getDb(c.env.DB), bridgeId))) throw new ApiError(404, 'BRIDGE_NOT_FOUND', 'No live credential for this bridge');
    const disconnected = await linkFor(c.env).disconnect(bridgeId);
    await audit(c, { userId: c.get('auth').userId, category: 'security', event: 'bridge_revoked', message: `Revoked bridge ${bridgeId}` });
    return c.json({ success: true as const, disconnected }, 200);
  });
