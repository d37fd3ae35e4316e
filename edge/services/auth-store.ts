// A WhatsApp session's auth state as the edge keeps it, in its ClientHub's SQLite storage: Baileys
// creds and signal keys, the sandbox's pairing. Values arrive sealed by the bridges (BRIDGE_SEAL_KEY,
// shared by the fleet) and are kept and handed back as they are: the edge never reads them. Whichever
// bridge is granted the client's lease receives them, so it resumes the session without a new QR scan.
import type { AuthEntry } from '../../adapters/protocol.ts';

/** A session's auth state is bounded (Baileys keeps a few hundred small keys): a bridge sending more is refused. */
export const MAX_AUTH_ENTRIES = 20_000;

export class AuthStore {
  private readonly sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.sql = sql;
    sql.exec('CREATE TABLE IF NOT EXISTS auth_state (type TEXT NOT NULL, id TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (type, id))');
  }

  /** Writes and deletions, in order. */
  apply(entries: AuthEntry[]): void {
    // counted before writing (an upper bound): a refused batch writes nothing
    if (this.count() + entries.length > MAX_AUTH_ENTRIES) throw new Error(`auth state over ${MAX_AUTH_ENTRIES} entries`);
    for (const e of entries) {
      if (e.type === '*' && e.value === null)
        this.clear(); // a logout erased it all
      else if (e.value === null) this.sql.exec('DELETE FROM auth_state WHERE type = ? AND id = ?', e.type, e.id);
      else this.sql.exec('INSERT OR REPLACE INTO auth_state (type, id, value) VALUES (?, ?, ?)', e.type, e.id, e.value);
    }
  }

  all(): AuthEntry[] {
    return this.sql.exec<{ type: string; id: string; value: string }>('SELECT type, id, value FROM auth_state ORDER BY type, id').toArray();
  }

  count(): number {
    return this.sql.exec<{ n: number }>('SELECT count(*) AS n FROM auth_state').one().n;
  }

  clear(): void {
    this.sql.exec('DELETE FROM auth_state');
  }
}
