import { and, asc, eq } from 'drizzle-orm';
import { getDb } from '../../db/client.ts';
import { apiKeys, clients, users } from '../../db/schema.ts';
import { audit } from '../../lib/audit.ts';
import { ApiError } from '../../lib/errors.ts';
import { passwordMatches } from '../../services/users.ts';
import { createRouter } from '../../lib/router.ts';
import { unseal } from '../../lib/secrets.ts';
import { findOwnClient, forgetClient, statusLabel } from '../../services/clients.ts';
import { forgetKeys, issueKey } from '../../services/keys.ts';
import { ask, command, hubFor } from '../../services/bridge-commands.ts';
import { addNumberRoute, deleteClientRoute, listClientsRoute, qrRoute } from './clients.routes.ts';

export const clientsRouter = createRouter()
  .openapi(addNumberRoute, async (c) => {
    const { clientId, phoneNumber, pairingMethod } = c.req.valid('json');
    const auth = c.get('auth');
    const db = getDb(c.env.DB);
    const [user] = await db.select({ maxClients: users.maxClients }).from(users).where(eq(users.id, auth.userId));
    const limit = user?.maxClients ?? null;
    // the plan limit is checked by the insert itself, so parallel adds cannot exceed it
    const created = await c.env.DB.prepare(
      `INSERT INTO clients (user_id, client_id, phone_number)
       SELECT ?1, ?2, ?3 WHERE ?4 IS NULL OR (SELECT count(*) FROM clients WHERE user_id = ?1) < ?4
       ON CONFLICT DO NOTHING RETURNING id`,
    )
      .bind(auth.userId, clientId, phoneNumber, limit)
      .first<{ id: number }>();
    if (!created) {
      const [exists] = await db
        .select({ id: clients.id })
        .from(clients)
        .where(and(eq(clients.userId, auth.userId), eq(clients.clientId, clientId)));
      if (exists) throw new ApiError(409, 'CLIENT_EXISTS', `Client ${clientId} already exists`);
      throw new ApiError(403, 'PLAN_LIMIT_EXCEEDED', `Your plan allows ${limit} client${limit === 1 ? '' : 's'}`);
    }
    const apiKey = await issueKey(db, c.env.SEAL_KEY, auth.userId, created.id);
    await audit(c, { userId: auth.userId, category: 'app', event: 'client_added', message: `Added client ${clientId} (${phoneNumber})` });
    const started = await ask(c.env, created.id, 'start', { clientId, phoneNumber, pairingMethod });
    if (!started.ok) {
      // The client exists; the bridge starts it as soon as one connects, and GET /api/qr shows its code.
      return c.json(
        {
          status: 'pending_auth' as const,
          message: `Client created, but no QR code yet: ${started.message} (${started.code}). Fetch it from GET /api/qr/${clientId} once the bridge is up.`,
          qrCode: null,
          apiKey,
          pairingCode: null,
        },
        200,
      );
    }
    const session = started.result;
    const connected = session.status === 'connected';
    return c.json(
      {
        status: connected ? ('connected' as const) : ('pending_auth' as const),
        message: connected
          ? 'Client is already connected'
          : session.pairingCode
            ? 'Pairing code generated: type it on the phone (WhatsApp → Linked devices → Link with phone number instead)'
            : 'QR Code generated for authentication',
        qrCode: !connected && session.qr ? `data:image/png;base64,${session.qr.png}` : null,
        apiKey,
        pairingCode: !connected ? (session.pairingCode ?? null) : null,
      },
      200,
    );
  })
  .openapi(listClientsRoute, async (c) => {
    const auth = c.get('auth');
    const rows = await getDb(c.env.DB)
      .select({ client: clients, keySealed: apiKeys.keySealed })
      .from(clients)
      .leftJoin(apiKeys, eq(apiKeys.clientRef, clients.id))
      .where(eq(clients.userId, auth.userId))
      .orderBy(asc(clients.id));
    const visible = rows.filter((r) => auth.clientRef === null || r.client.id === auth.clientRef);
    // a login never carries keys or secrets out (POST /auth/reveal asks the password)
    const secrets = auth.via !== 'session';
    const list = await Promise.all(
      visible.map(async ({ client, keySealed }) => ({
        clientId: client.clientId,
        phoneNumber: client.phoneNumber,
        apiKey: !secrets ? null : keySealed ? await unseal(c.env.SEAL_KEY, keySealed) : '',
        connectedNumber: client.connectedNumber ?? 'Not Connected',
        status: statusLabel(client.status),
        webhookUrl: client.webhookUrl,
        webhookSecret: secrets && client.webhookSecretSealed ? await unseal(c.env.SEAL_KEY, client.webhookSecretSealed) : null,
      })),
    );
    return c.json(list, 200);
  })
  .openapi(deleteClientRoute, async (c) => {
    const { clientId } = c.req.valid('param');
    const { password } = c.req.valid('json');
    const auth = c.get('auth');
    const db = getDb(c.env.DB);
    const client = await findOwnClient(db, auth, clientId);
    if (!(await passwordMatches(db, auth.userId, password))) {
      await audit(c, { userId: auth.userId, category: 'security', event: 'delete_refused', message: `Wrong password deleting client ${clientId}` });
      throw new ApiError(403, 'ACCESS_DENIED', 'Invalid password');
    }
    // Log the number out and erase its auth state on the bridge (best effort: a bridge that is down
    // no longer gets this client from the edge, so it never starts it again).
    await ask(c.env, client.id, 'logout', { clientId: client.clientId, phoneNumber: client.phoneNumber }).catch(() => undefined);
    await hubFor(c.env, client.id).forget(client.id); // its lease ends: the bridge lets the session go
    await db.delete(clients).where(eq(clients.id, client.id));
    forgetKeys({ clientRef: client.id }); // its key stops working here at once (elsewhere within AUTH_TTL_MS)
    forgetClient(client.id);
    await audit(c, { userId: auth.userId, category: 'security', event: 'client_deleted', message: `Deleted client ${clientId}` });
    return c.json({ message: 'Client deleted successfully.' }, 200);
  })
  .openapi(qrRoute, async (c) => {
    const client = await findOwnClient(getDb(c.env.DB), c.get('auth'), c.req.valid('param').clientId);
    const hub = hubFor(c.env, client.id);
    let state = await hub.state();
    if (state.status === 'connected') throw new ApiError(404, 'QR_NOT_AVAILABLE', 'The client is connected; there is no QR code to scan');
    if (!(state.status === 'pending_auth' && state.qrPng)) {
      // logged out or not running: start the session again to get a fresh QR code
      await command(c.env, client.id, 'start', { clientId: client.clientId, phoneNumber: client.phoneNumber });
      state = await hub.state();
    }
    if (!state.qrPng) throw new ApiError(404, 'QR_NOT_AVAILABLE', 'No QR code is available for this client');
    const png = Uint8Array.from(atob(state.qrPng), (ch) => ch.charCodeAt(0));
    return c.body(png, 200, { 'content-type': 'image/png', 'cache-control': 'no-store' }) as never;
  });
