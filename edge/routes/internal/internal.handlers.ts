// Operator-only routes, authenticated by INTERNAL_TOKEN and hidden from the public API document.
import { createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { bearerAuth } from 'hono/bearer-auth';
import { getDb } from '../../db/client.ts';
import { users } from '../../db/schema.ts';
import type { AppEnv } from '../../env.ts';
import { errorBody } from '../../lib/errors.ts';
import { createRouter } from '../../lib/router.ts';
import { json, jsonBody, PasswordSchema, UsernameSchema } from '../../lib/schemas.ts';
import { safeEqual } from '../../lib/secrets.ts';
import { linkFor } from '../../services/bridge-commands.ts';
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

/** The bridge dials in here (WebSocket upgrade), handed to the BridgeLink Durable Object. */
internalRouter.get('/internal/bridge/connect', internalToken(), (c) => linkFor(c.env).fetch(c.req.raw));
