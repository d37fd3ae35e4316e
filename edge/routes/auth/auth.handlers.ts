import { eq } from 'drizzle-orm';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { getDb } from '../../db/client.ts';
import { users } from '../../db/schema.ts';
import { audit } from '../../lib/audit.ts';
import { ApiError } from '../../lib/errors.ts';
import { verifyPassword } from '../../lib/password.ts';
import { isHttps } from '../../lib/request.ts';
import { createRouter } from '../../lib/router.ts';
import { createSession, deleteSession, SESSION_COOKIE, SESSION_TTL_SEC } from '../../services/sessions.ts';
import { loginRoute, logoutRoute, meRoute } from './auth.routes.ts';

// A fixed hash to spend the same time on unknown usernames as on wrong passwords.
const DUMMY_HASH = 'pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

export const authRouter = createRouter()
  .openapi(loginRoute, async (c) => {
    const { username, password } = c.req.valid('json');
    const db = getDb(c.env.DB);
    const [user] = await db.select().from(users).where(eq(users.username, username)).limit(1);
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || !ok) {
      await audit(c, { userId: user?.id ?? null, category: 'security', event: 'login_failed', message: `Failed login for ${username}` });
      throw new ApiError(401, 'AUTH_ERROR', 'Invalid username or password');
    }
    const token = await createSession(db, user.id);
    setCookie(c, SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'Strict',
      secure: isHttps(c),
      path: '/',
      maxAge: SESSION_TTL_SEC,
    });
    await audit(c, { userId: user.id, category: 'security', event: 'login', message: `${user.username} logged in` });
    return c.json({ success: true as const, username: user.username, role: user.role }, 200);
  })
  .openapi(logoutRoute, async (c) => {
    const token = getCookie(c, SESSION_COOKIE);
    if (token) await deleteSession(getDb(c.env.DB), token);
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure: isHttps(c) });
    return c.json({ success: true as const }, 200);
  })
  .openapi(meRoute, (c) => {
    const { username, role } = c.get('auth');
    return c.json({ username, role }, 200);
  });
