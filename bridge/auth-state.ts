// A session's auth state as it travels to the edge and back: Baileys creds (`creds`) and signal keys
// (`key:<type>`), the sandbox's pairing (`sandbox`). Values stay sealed as this bridge stores them
// (seal.ts; the fleet shares BRIDGE_SEAL_KEY or STATE_DIR/bridge-seal.key, so any bridge opens them).
// Every write is reported as an `auth` event (the edge keeps it in the client's hub); a newly granted
// lease brings the edge's copy, which replaces this bridge's before the session starts.
import type { AuthEntry } from '../adapters/protocol.ts';
import type { BridgeDb } from './db.ts';

/** An entry of this type with a null value erases the whole state (a logout). */
export const CLEAR_ALL = '*';

type Row = { type: string; id: string; value: string };

/** Everything this bridge keeps of the client's auth state, as entries. */
export function exportAuth(db: BridgeDb, clientRef: number): AuthEntry[] {
  const creds = db.prepare("SELECT 'creds' AS type, '' AS id, creds AS value FROM baileys_creds WHERE client_ref = ?").all(clientRef) as Row[];
  const keys = db.prepare("SELECT 'key:' || type AS type, id, value FROM baileys_keys WHERE client_ref = ? ORDER BY type, id").all(clientRef) as Row[];
  const pairing = db.prepare("SELECT 'sandbox' AS type, 'pairing' AS id, number AS value FROM sandbox_pairings WHERE client_ref = ?").all(clientRef) as Row[];
  return [...creds, ...keys, ...pairing];
}

/** The lease moved on: this bridge's copy goes (the edge has it), so it can never come back stale. */
export function forgetAuth(db: BridgeDb, clientRef: number): void {
  for (const table of ['baileys_creds', 'baileys_keys', 'sandbox_pairings']) db.prepare(`DELETE FROM ${table} WHERE client_ref = ?`).run(clientRef);
}

/**
 * Replaces this bridge's copy with the edge's. An edge with no copy (a client paired before leases
 * existed) keeps the local one: the caller reports it to the edge instead. Answers whether it replaced.
 */
export function restoreAuth(db: BridgeDb, clientRef: number, entries: AuthEntry[]): boolean {
  if (!entries.length) return false;
  db.exec('BEGIN');
  try {
    for (const table of ['baileys_creds', 'baileys_keys', 'sandbox_pairings']) db.prepare(`DELETE FROM ${table} WHERE client_ref = ?`).run(clientRef);
    const creds = db.prepare('INSERT INTO baileys_creds (client_ref, creds) VALUES (?, ?)');
    const key = db.prepare('INSERT OR REPLACE INTO baileys_keys (client_ref, type, id, value) VALUES (?, ?, ?, ?)');
    const pairing = db.prepare('INSERT OR REPLACE INTO sandbox_pairings (client_ref, number) VALUES (?, ?)');
    for (const e of entries) {
      if (e.value === null) continue;
      if (e.type === 'creds') creds.run(clientRef, e.value);
      else if (e.type.startsWith('key:')) key.run(clientRef, e.type.slice(4), e.id, e.value);
      else if (e.type === 'sandbox' && e.id === 'pairing') pairing.run(clientRef, e.value);
    }
    db.exec('COMMIT');
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
  return true;
}
