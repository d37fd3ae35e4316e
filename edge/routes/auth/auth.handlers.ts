import { eq } from 'drizzle-orm';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { getDb } from '../../db/client.ts';
import { users } from '../../db/schema.ts';
import { audit } from '../../lib/audit.ts';
import { ApiError } from '../../lib/errors.ts';
import { verifyPassword } from '../../lib/password.ts';
import { isHttps } from '../../lib/client-address.ts';
import { createRouter } from '../../lib/router.ts';
import { createLogin, deleteLogin, LOGIN_COOKIE, LOGIN_TTL_SEC } from '../../services/logins.ts';
import { loginRoute, logoutRoute, meRoute, revealRoute } from './auth.routes.ts';
import { revealSecrets } from './reveal.ts';
import { passwordMatches } from '../../services/users.ts';

// A fixed hash to spend the same time on unknown usernames as on wrong passwords.
const DUMMY_HASH = 'pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';

/** Readable by the pages' script; says only that a login was made here (the login itself is HttpOnly). */
const SIGNED_IN_HINT = 'sb_signed_in';

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
    const token = await createLogin(db, user.id);
    setCookie(c, LOGIN_COOKIE, token, {
      httpOnly: true,
      sameSite: 'Strict',
      secure: isHttps(c),
      path: '/',
      maxAge: LOGIN_TTL_SEC,
    });
    // a hint the pages can read (no secret in it): signed in, so ask /auth/me rather than show the login at once
    setCookie(c, SIGNED_IN_HINT, '1', { sameSite: 'Strict', secure: isHttps(c), path: '/', maxAge: LOGIN_TTL_SEC });
    await audit(c, { userId: user.id, category: 'security', event: 'login', message: `${user.username} logged in` });
    return c.json({ success: true as const, username: user.username, role: user.role }, 200);
  })
  .openapi(logoutRoute, async (c) => {
    const token = getCookie(c, LOGIN_COOKIE);
    if (token) await deleteLogin(getDb(c.env.DB), token);
    deleteCookie(c, LOGIN_COOKIE, { path: '/', secure: isHttps(c) });
    deleteCookie(c, SIGNED_IN_HINT, { path: '/', secure: isHttps(c) });
    return c.json({ success: true as const }, 200);
  })
  .openapi(revealRoute, async (c) => {
    const { password } = c.req.valid('json');
    const auth = c.get('auth');
    const db = getDb(c.env.DB);
    if (!(await passwordMatches(db, auth.userId, password))) {
      await audit(c, { userId: auth.userId, category: 'security', event: 'reveal_refused', message: 'Wrong password asking to see the API keys' });
      throw new ApiError(403, 'ACCESS_DENIED', 'Invalid password');
    }
    await audit(c, { userId: auth.userId, category: 'security', event: 'secrets_revealed', message: 'API keys and webhook secrets shown in the dashboard' });
    return c.json(await revealSecrets(db, c.env.SEAL_KEY, auth.userId), 200);
  })
  .openapi(meRoute, (c) => {
    const { username, role } = c.get('auth');
    return c.json({ username, role }, 200);
  });
