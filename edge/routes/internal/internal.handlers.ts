// Operator-only routes, hidden from the public API document: first-start bootstrap and bridge credentials
// (INTERNAL_TOKEN), and the bridges' link (each bridge's own credential; INTERNAL_TOKEN does not open it).
import { createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { bearerAuth } from 'hono/bearer-auth';
import { getDb } from '../../db/client.ts';
import { users } from '../../db/schema.ts';
import type { AppEnv } from '../../env.ts';
import { errorBody } from '../../lib/errors.ts';
import { createRouter } from '../../lib/router.ts';
import { BridgeIdSchema, json, jsonBody, PasswordSchema, UsernameSchema } from '../../lib/schemas.ts';
import { safeEqual } from '../../lib/secrets.ts';
import { linkOf } from '../../services/bridge-commands.ts';
import { bridgeForToken, issueBridgeToken } from '../../services/bridge-credentials.ts';
import { createUser } from '../../services/users.ts';

const refused = { message: errorBody('AUTH_ERROR', 'Invalid internal token') };

/** The operator's INTERNAL_TOKEN as a bearer token (Hono's bearerAuth; an unset token matches nothing). */
const internalToken = () =>
  bearerAuth<AppEnv>({
    verifyToken: (token, c) => Boolean(c.env.INTERNAL_TOKEN) && safeEqual(token, c.env.INTERNAL_TOKEN),
    noAuthenticationHeader: { message: errorBody('AUTH_ERROR', 'Bearer token required') },
    invalidAuthenticationHeader: { message: errorBody('AUTH_ERROR', 'Malformed Authorization header') },
    invalidToken: refused,
  });

const BootstrapSchema = z.object({
  username: UsernameSchema,
  password: PasswordSchema,
  apiKey: z.string().min(20, 'ADMIN_API_KEY: at least 20 characters').max(256).optional(),
});

const bootstrapRoute = createRoute({
  method: 'post',
  path: '/internal/bootstrap',
  hide: true,
  middleware: [internalToken()] as const,
  request: { body: jsonBody(BootstrapSchema) },
  responses: { 200: json(z.object({ created: z.boolean(), username: z.string() }), 'Whether the admin was created now') },
});

/** First start: creates the admin account unless one exists. Idempotent. */
export const internalRouter = createRouter().openapi(bootstrapRoute, async (c) => {
  const input = c.req.valid('json');
  const db = getDb(c.env.DB);
  const [admin] = await db.select({ username: users.username }).from(users).where(eq(users.role, 'admin')).limit(1);
  if (admin) return c.json({ created: false, username: admin.username }, 200);
  await createUser(db, c.env.SEAL_KEY, { ...input, role: 'admin', maxClients: null });
  return c.json({ created: true, username: input.username }, 200);
});

const issueRoute = createRoute({
  method: 'post',
  path: '/internal/bridges',
  hide: true,
  middleware: [internalToken()] as const,
  request: { body: jsonBody(z.object({ bridgeId: BridgeIdSchema })) },
  responses: { 201: json(z.object({ bridgeId: z.string(), token: z.string() }), 'A new credential (the old one stops working)') },
});

/** `npm start` issues each local bridge a fresh credential on every start. */
internalRouter.openapi(issueRoute, async (c) => {
  const { bridgeId } = c.req.valid('json');
  const token = await issueBridgeToken(getDb(c.env.DB), bridgeId);
  await linkOf(c.env, bridgeId).disconnect();
  return c.json({ bridgeId, token }, 201);
});

/** A bridge's own credential: the link is told which bridge id it is, and speaks only for that one. */
const bridgeCredential = () =>
  bearerAuth<AppEnv>({
    verifyToken: async (token, c) => {
      const found = await bridgeForToken(getDb(c.env.DB), token);
      if (found) c.set('bridge', found);
      return found !== undefined;
    },
    noAuthenticationHeader: { message: errorBody('AUTH_ERROR', 'Bearer token required') },
    invalidAuthenticationHeader: { message: errorBody('AUTH_ERROR', 'Malformed Authorization header') },
    invalidToken: { message: errorBody('AUTH_ERROR', 'Invalid or revoked bridge credential') },
  });

/** The bridge dials in here (WebSocket upgrade), handed to the BridgeLink Durable Object. */
internalRouter.get('/internal/bridge/connect', bridgeCredential(), (c) => {
  const headers = new Headers(c.req.raw.headers);
  const bridge = c.get('bridge');
  headers.set('x-bridge-id', bridge?.bridgeId ?? '');
  // the object checks it again at hello: a credential revoked meanwhile never gets a live link
  headers.set('x-bridge-token-hash', bridge?.tokenHash ?? '');
  return linkOf(c.env, bridge?.bridgeId ?? '').fetch(new Request(c.req.raw.url, { headers }));
});
