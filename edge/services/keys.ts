// API keys: issued once, stored as a SHA-256 lookup hash plus an AES-GCM sealed copy.
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { apiKeys, clients, users } from '../db/schema.ts';
import { randomToken, seal, sha256Hex } from '../lib/secrets.ts';

export const newApiKey = (kind: 'account' | 'client') => randomToken(20, kind === 'account' ? 'sba_' : 'sbc_');

/** Stores `key` (or a new one) for the account (clientRef null) or one client; returns the plaintext once. */
export async function issueKey(db: Db, sealKey: string, userId: number, clientRef: number | null, key?: string): Promise<string> {
  const plain = key ?? newApiKey(clientRef === null ? 'account' : 'client');
  await db.insert(apiKeys).values({ userId, clientRef, keyHash: await sha256Hex(plain), keySealed: await seal(sealKey, plain) });
  return plain;
}

/**
 * Replaces one key by a new one in a single conditional write: of concurrent resets presenting the same
 * old key exactly one wins; the others find it gone (undefined). Never two valid keys.
 */
export async function rotateKey(db: Db, sealKey: string, keyId: number, oldHash: string, kind: 'account' | 'client'): Promise<string | undefined> {
  const plain = newApiKey(kind);
  const swapped = await db
    .update(apiKeys)
    .set({ keyHash: await sha256Hex(plain), keySealed: await seal(sealKey, plain) })
    .where(and(eq(apiKeys.id, keyId), eq(apiKeys.keyHash, oldHash)))
    .returning({ id: apiKeys.id });
  return swapped.length ? plain : undefined;
}

/** The user and scope a presented key belongs to, or undefined. */
export async function findKey(db: Db, presented: string) {
  const [row] = await db
    .select({
      keyId: apiKeys.id,
      userId: users.id,
      username: users.username,
      role: users.role,
      clientRef: apiKeys.clientRef,
      clientId: clients.clientId,
    })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .leftJoin(clients, eq(clients.id, apiKeys.clientRef))
    .where(eq(apiKeys.keyHash, await sha256Hex(presented)))
    .limit(1);
  return row;
}

/** The sealed account key of a user. */
export async function accountKeySealed(db: Db, userId: number): Promise<string | undefined> {
  const [row] = await db
    .select({ sealed: apiKeys.keySealed })
    .from(apiKeys)
    .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.clientRef)))
    .limit(1);
  return row?.sealed;
}
