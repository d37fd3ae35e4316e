// Bridge credentials: one per bridge id, issued by the operator (shown once), stored as a SHA-256 hash,
// revocable. A link is opened only with a live credential, and it names the only bridge id that link
// may speak for.
import { and, eq, isNull } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { bridges } from '../db/schema.ts';
import { randomToken, sha256Hex } from '../lib/secrets.ts';

/** Issues a new token for `bridgeId` (creating it, or replacing — and so revoking — its old token). */
export async function issueBridgeToken(db: Db, bridgeId: string): Promise<string> {
  const token = randomToken(24, 'sbb_');
  const tokenHash = await sha256Hex(token);
  await db
    .insert(bridges)
    .values({ bridgeId, tokenHash })
    .onConflictDoUpdate({ target: bridges.bridgeId, set: { tokenHash, revokedAt: null, createdAt: Date.now() } });
  return token;
}

/** The bridge a presented token belongs to, while it is not revoked. */
export async function bridgeForToken(db: Db, token: string): Promise<{ bridgeId: string; tokenHash: string } | undefined> {
  if (!/^sbb_[0-9a-f]{48}$/.test(token)) return undefined;
  const tokenHash = await sha256Hex(token);
  const [row] = await db
    .select({ bridgeId: bridges.bridgeId })
    .from(bridges)
    .where(and(eq(bridges.tokenHash, tokenHash), isNull(bridges.revokedAt)))
    .limit(1);
  return row ? { bridgeId: row.bridgeId, tokenHash } : undefined;
}

/** Whether this credential is still the live one of its bridge. */
export async function credentialIsLive(db: Db, bridgeId: string, tokenHash: string): Promise<boolean> {
  const [row] = await db
    .select({ id: bridges.id })
    .from(bridges)
    .where(and(eq(bridges.bridgeId, bridgeId), eq(bridges.tokenHash, tokenHash), isNull(bridges.revokedAt)))
    .limit(1);
  return row !== undefined;
}

/** Revokes a bridge's credential; answers whether there was a live one. */
export async function revokeBridge(db: Db, bridgeId: string): Promise<boolean> {
  const rows = await db
    .update(bridges)
    .set({ revokedAt: Date.now() })
    .where(and(eq(bridges.bridgeId, bridgeId), isNull(bridges.revokedAt)))
    .returning({ id: bridges.id });
  return rows.length > 0;
}

export async function listBridges(db: Db) {
  return db.select({ bridgeId: bridges.bridgeId, createdAt: bridges.createdAt, revokedAt: bridges.revokedAt }).from(bridges).orderBy(bridges.bridgeId);
}
