// Accounts: creation (admin route and first-start bootstrap) with their account key.
import type { Role } from '../../adapters/vocabulary.ts';
import type { Db } from '../db/client.ts';
import { users } from '../db/schema.ts';
import { ApiError } from '../lib/errors.ts';
import { eq } from 'drizzle-orm';
import { hashPassword, verifyPassword } from '../lib/password.ts';
import { issueKey } from './keys.ts';

export const DEFAULT_MAX_CLIENTS = 5;

export interface NewUser {
  username: string;
  password: string;
  role?: Role;
  maxClients?: number | null;
  apiKey?: string;
}

export async function createUser(db: Db, sealKey: string, input: NewUser): Promise<{ id: number; apiKey: string; role: Role; maxClients: number | null }> {
  const role = input.role ?? 'user';
  const maxClients = input.maxClients === undefined ? (role === 'admin' ? null : DEFAULT_MAX_CLIENTS) : input.maxClients;
  const [user] = await db
    .insert(users)
    .values({
      username: input.username,
      passwordHash: await hashPassword(input.password),
      role,
      maxClients,
    })
    .onConflictDoNothing()
    .returning({ id: users.id });
  // the insert itself decides: two creations of one name at once give one user and one 409
  if (!user) throw new ApiError(409, 'USER_EXISTS', `User ${input.username} already exists`);
  const apiKey = await issueKey(db, sealKey, user.id, null, input.apiKey);
  return { id: user.id, apiKey, role, maxClients };
}

/** Whether `password` is this user's (an action that must be confirmed: deleting a client, showing keys). */
export async function passwordMatches(db: Db, userId: number, password: string): Promise<boolean> {
  const [user] = await db.select({ passwordHash: users.passwordHash }).from(users).where(eq(users.id, userId));
  return Boolean(user) && (await verifyPassword(password, user!.passwordHash));
}
