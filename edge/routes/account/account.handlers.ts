import { and, count, desc, eq, gte, lt } from 'drizzle-orm';
import { getDb } from '../../db/client.ts';
import { apiKeys, apiUsage, auditLog, clients, users } from '../../db/schema.ts';
import { audit } from '../../lib/audit.ts';
import { ApiError } from '../../lib/errors.ts';
import { createRouter } from '../../lib/router.ts';
import { sha256Hex, unseal } from '../../lib/secrets.ts';
import { accountKeySealed, rotateKey } from '../../services/keys.ts';
import { flushUsage } from '../../services/usage.ts';
import { logsRoute, profileRoute, resetKeyRoute, usageRoute } from './account.routes.ts';

export const accountRouter = createRouter()
  .openapi(profileRoute, async (c) => {
    const auth = c.get('auth');
    const db = getDb(c.env.DB);
    const [[user], [clientCount], sealed] = await Promise.all([
      db.select({ maxClients: users.maxClients }).from(users).where(eq(users.id, auth.userId)),
      db.select({ n: count() }).from(clients).where(eq(clients.userId, auth.userId)),
      accountKeySealed(db, auth.userId),
    ]);
    if (!sealed) throw new Error('account without an account key');
    return c.json(
      {
        username: auth.username,
        role: auth.role,
        // a login (a cookie that may be stolen) never carries the key out: POST /auth/reveal asks the password
        apiKey: auth.via === 'session' ? null : await unseal(c.env.SEAL_KEY, sealed),
        clientCount: clientCount?.n ?? 0,
        maxClients: user?.maxClients ?? null,
      },
      200,
    );
  })
  .openapi(resetKeyRoute, async (c) => {
    const { username, currentApiKey } = c.req.valid('json');
    const db = getDb(c.env.DB);
    const oldHash = await sha256Hex(currentApiKey);
    const [found] = await db
      .select({ keyId: apiKeys.id, userId: users.id, clientRef: apiKeys.clientRef })
      .from(apiKeys)
      .innerJoin(users, eq(users.id, apiKeys.userId))
      .where(and(eq(apiKeys.keyHash, oldHash), eq(users.username, username)))
      .limit(1);
    // the swap is conditional on the old key: a concurrent reset that got there first makes this one fail
    const newApiKey = found && (await rotateKey(db, c.env.SEAL_KEY, found.keyId, oldHash, found.clientRef === null ? 'account' : 'client'));
    if (!found || !newApiKey) {
      await audit(c, { userId: null, category: 'security', event: 'key_reset_failed', message: `Failed API key reset for ${username}` });
      throw new ApiError(401, 'AUTH_ERROR', 'Invalid username or API key');
    }
    await audit(c, {
      userId: found.userId,
      category: 'security',
      event: 'key_reset',
      message: found.clientRef === null ? 'Account API key reset' : 'Client API key reset',
    });
    return c.json({ message: 'API key reset successfully.', newApiKey }, 200);
  })
  .openapi(logsRoute, async (c) => {
    const { limit, before, category } = c.req.valid('query');
    const userId = c.get('auth').userId;
    const rows = await getDb(c.env.DB)
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.userId, userId), before ? lt(auditLog.id, before) : undefined, category ? eq(auditLog.category, category) : undefined))
      .orderBy(desc(auditLog.id))
      .limit(limit + 1);
    const page = rows.slice(0, limit);
    return c.json(
      {
        logs: page.map((r) => ({
          id: r.id,
          category: r.category,
          event: r.event,
          message: r.message,
          ip: r.ip,
          count: r.count,
          createdAt: new Date(r.createdAt).toISOString(),
          lastAt: r.lastAt === null ? null : new Date(r.lastAt).toISOString(),
        })),
        nextBefore: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
      },
      200,
    );
  })
  .openapi(usageRoute, async (c) => {
    const { days } = c.req.valid('query');
    await flushUsage(c.env.DB, true);
    const since = new Date(Date.now() - (days - 1) * 86_400_000).toISOString().slice(0, 10);
    const rows = await getDb(c.env.DB)
      .select()
      .from(apiUsage)
      .where(and(eq(apiUsage.userId, c.get('auth').userId), gte(apiUsage.day, since)))
      .orderBy(desc(apiUsage.day), desc(apiUsage.count));
    return c.json({ usage: rows.map((r) => ({ day: r.day, key: r.keyLabel, method: r.method, route: r.route, count: r.count })) }, 200);
  });
