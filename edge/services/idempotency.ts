// Idempotency-Key: the first request with a key is done once; repeats get its answer back.
import { and, eq, isNull, lt } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import type { Db } from '../db/client.ts';
import { idempotencyKeys } from '../db/schema.ts';
import { ApiError } from '../lib/errors.ts';
import { sha256Hex } from '../lib/secrets.ts';

export type Claim = { kind: 'new' } | { kind: 'replay'; status: number; body: unknown };

/** A first attempt still unsettled after this long died with its worker: a repeat may take the key over. */
export const IN_PROGRESS_TTL_MS = 2 * 60_000;

/**
 * Claims the key (new, a replay of its answer, or a refusal: reused for another request, still in progress),
 * with one read of the caller's in the same D1 batch (no second round trip): its rows as they stood at the claim.
 */
export async function claimKeyWith<R>(
  db: Db,
  userId: number,
  key: string,
  request: unknown,
  along: BatchItem<'sqlite'> & PromiseLike<R>,
): Promise<{ claim: Claim; along: R }> {
  const requestHash = await sha256Hex(JSON.stringify(request));
  const [inserted, rows] = await db.batch([
    db.insert(idempotencyKeys).values({ userId, key, requestHash }).onConflictDoNothing().returning({ key: idempotencyKeys.key }),
    along,
  ]);
  return { claim: await claimed(db, userId, key, requestHash, inserted.length > 0), along: rows as R };
}

async function claimed(db: Db, userId: number, key: string, requestHash: string, inserted: boolean): Promise<Claim> {
  if (inserted) return { kind: 'new' };
  const [row] = await db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)));
  if (!row) return { kind: 'new' };
  if (row.requestHash !== requestHash) throw new ApiError(409, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for a different request');
  if (row.status === null || row.response === null) {
    // taken over in one conditional write, so of several repeats only one proceeds
    const now = Date.now();
    const taken = await db
      .update(idempotencyKeys)
      .set({ createdAt: now })
      .where(
        and(
          eq(idempotencyKeys.userId, userId),
          eq(idempotencyKeys.key, key),
          isNull(idempotencyKeys.status),
          lt(idempotencyKeys.createdAt, now - IN_PROGRESS_TTL_MS),
        ),
      )
      .returning({ key: idempotencyKeys.key });
    if (taken.length) return { kind: 'new' };
    throw new ApiError(409, 'IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still in progress');
  }
  return { kind: 'replay', status: row.status, body: JSON.parse(row.response) };
}

export async function settleKey(db: Db, userId: number, key: string, status: number, body: unknown): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({ status, response: JSON.stringify(body) })
    .where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)));
}

/** A failed first attempt frees the key, so the client may retry with it. */
export async function releaseKey(db: Db, userId: number, key: string): Promise<void> {
  await db.delete(idempotencyKeys).where(and(eq(idempotencyKeys.userId, userId), eq(idempotencyKeys.key, key)));
}
