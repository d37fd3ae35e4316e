// API keys: issued once, stored as a SHA-256 lookup hash plus an AES-GCM sealed copy.
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { apiKeys, clients, users } from '../db/schema.ts';
import { randomToken, seal, sha256Hex } from '../lib/secrets.ts';
import { TtlCache } from '../lib/ttl-cache.ts';

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
  forgetKeys({ hash: oldHash });
  return swapped.length ? plain : undefined;
}

/**
 * Keys seen by this isolate, by hash: the hot path reads no D1 for a key it used within AUTH_TTL_MS. A
 * reset or a deleted client takes effect at once here and within AUTH_TTL_MS in other isolates.
 */
export const AUTH_TTL_MS = 5000;
type FoundKey = NonNullable<Awaited<ReturnType<typeof lookupKey>>>;
const recentKeys = new TtlCache<string, FoundKey>(AUTH_TTL_MS);

/** Forget cached keys: of a client (deleted), or one hash (reset). */
export const forgetKeys = (by: { clientRef?: number; hash?: string }) => {
  if (by.hash) recentKeys.delete(by.hash);
  if (by.clientRef !== undefined) recentKeys.deleteWhere((k) => k.clientRef === by.clientRef);
};

/** The user and scope a presented key belongs to, or undefined. */
export async function findKey(db: Db, presented: string) {
  const hash = await sha256Hex(presented);
  const hit = recentKeys.get(hash);
  if (hit) return hit;
  const found = await lookupKey(db, hash);
  if (found) recentKeys.set(hash, found);
  return found;
}

async function lookupKey(db: Db, hash: string) {
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
    .where(eq(apiKeys.keyHash, hash))
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
