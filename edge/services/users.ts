// Accounts: creation (admin route and first-start bootstrap) with their account key.
import { eq } from 'drizzle-orm';
import type { Role } from '../../adapters/vocabulary.ts';
import type { Db } from '../db/client.ts';
import { users } from '../db/schema.ts';
import { ApiError } from '../lib/errors.ts';
import { hashPassword } from '../lib/password.ts';
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
  const [existing] = await db.select({ id: users.id }).from(users).where(eq(users.username, input.username)).limit(1);
  if (existing) throw new ApiError(409, 'USER_EXISTS', `User ${input.username} already exists`);
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
    .returning({ id: users.id });
  if (!user) throw new Error('user insert returned nothing');
  const apiKey = await issueKey(db, sealKey, user.id, null, input.apiKey);
  return { id: user.id, apiKey, role, maxClients };
}
