// Dashboard logins: a random cookie token (the `sb_session` cookie), stored only as its SHA-256.
import { and, eq, gt } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { logins, users } from '../db/schema.ts';
import { randomToken, sha256Hex } from '../lib/secrets.ts';

export const LOGIN_COOKIE = 'sb_session';
export const LOGIN_TTL_SEC = 7 * 24 * 3600;

export async function createLogin(db: Db, userId: number): Promise<string> {
  const token = randomToken(32);
  await db.insert(logins).values({ tokenHash: await sha256Hex(token), userId, expiresAt: Date.now() + LOGIN_TTL_SEC * 1000 });
  return token;
}

export async function findLogin(db: Db, token: string) {
  const [row] = await db
    .select({ userId: users.id, username: users.username, role: users.role })
    .from(logins)
    .innerJoin(users, eq(users.id, logins.userId))
    .where(and(eq(logins.tokenHash, await sha256Hex(token)), gt(logins.expiresAt, Date.now())))
    .limit(1);
  return row;
}

export async function deleteLogin(db: Db, token: string): Promise<void> {
  await db.delete(logins).where(eq(logins.tokenHash, await sha256Hex(token)));
}
