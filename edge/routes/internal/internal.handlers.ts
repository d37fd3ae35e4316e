// Operator-only routes, authenticated by INTERNAL_TOKEN and hidden from the public API document.
import { createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import type { MiddlewareHandler } from 'hono';
import { getDb } from '../../db/client.ts';
import { users } from '../../db/schema.ts';
import type { AppEnv } from '../../env.ts';
import { ApiError } from '../../lib/errors.ts';
import { createRouter } from '../../lib/router.ts';
import { json, jsonBody, PasswordSchema, UsernameSchema } from '../../lib/schemas.ts';
import { safeEqual } from '../../lib/secrets.ts';
import { createUser } from '../../services/users.ts';

const internalToken = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  const expected = c.env.INTERNAL_TOKEN;
  if (!expected) throw new ApiError(503, 'NOT_CONFIGURED', 'INTERNAL_TOKEN is not set');
  const given = c.req.header('authorization')?.replace(/^Bearer\s+/i, '') ?? '';
  if (!safeEqual(given, expected)) throw new ApiError(401, 'AUTH_ERROR', 'Invalid internal token');
  await next();
};

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
internalRouter.get('/internal/bridge/connect', internalToken(), (c) => c.env.BRIDGE_LINK.getByName('main').fetch(c.req.raw));
