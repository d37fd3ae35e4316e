// Dashboard sessions: a random cookie token, stored only as its SHA-256.
import { and, eq, gt, lt } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { sessions, users } from '../db/schema.ts';
import { randomToken, sha256Hex } from '../lib/secrets.ts';

export const SESSION_COOKIE = 'sb_session';
export const SESSION_TTL_SEC = 7 * 24 * 3600;

export async function createSession(db: Db, userId: number): Promise<string> {
  const token = randomToken(32);
  await db.insert(sessions).values({ tokenHash: await sha256Hex(token), userId, expiresAt: Date.now() + SESSION_TTL_SEC * 1000 });
  return token;
}

export async function findSession(db: Db, token: string) {
  const [row] = await db
    .select({ userId: users.id, username: users.username, role: users.role })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(and(eq(sessions.tokenHash, await sha256Hex(token)), gt(sessions.expiresAt, Date.now())))
    .limit(1);
  return row;
}

export async function deleteSession(db: Db, token: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.tokenHash, await sha256Hex(token)));
}

export async function purgeExpiredSessions(db: Db): Promise<void> {
  await db.delete(sessions).where(lt(sessions.expiresAt, Date.now()));
}
