// The simulated WhatsApp network's memory of what each number sent: one SQLite file shared by every
// bridge of a state dir (STATE_DIR/sandbox-network.sqlite), as WhatsApp's servers are shared by every
// device. A message is known by its id: a send that repeats an id (the same queued message sent again
// by the bridge that took the number over after a crash) is the same message, kept once.
import { type BridgeDb, openBridgeDb } from '../../db.ts';

export interface NetworkSent {
  id: string;
  to: string;
  body: string;
  type: string;
  timestamp: number;
}

/** How many sent messages the network remembers per number. */
const SENT_LIMIT = 200;

export class SandboxNetwork {
  private readonly db: BridgeDb;

  constructor(db: BridgeDb) {
    this.db = db;
    db.exec(`CREATE TABLE IF NOT EXISTS network_sent (client_ref INTEGER NOT NULL, id TEXT NOT NULL, recipient TEXT NOT NULL, body TEXT NOT NULL,
      type TEXT NOT NULL, timestamp INTEGER NOT NULL, PRIMARY KEY (client_ref, id))`);
  }

  static open(file: string): SandboxNetwork {
    return new SandboxNetwork(openBridgeDb(file));
  }

  /** Records a sent message; a repeat of its id answers the first one (nothing is added). */
  send(clientRef: number, entry: NetworkSent): { first: boolean; entry: NetworkSent } {
    const added = this.db
      .prepare('INSERT OR IGNORE INTO network_sent (client_ref, id, recipient, body, type, timestamp) VALUES (?, ?, ?, ?, ?, ?)')
      .run(clientRef, entry.id, entry.to, entry.body, entry.type, entry.timestamp);
    if (added.changes === 0) {
      const r = this.db
        .prepare('SELECT id, recipient, body, type, timestamp FROM network_sent WHERE client_ref = ? AND id = ?')
        .get(clientRef, entry.id) as Row;
      return { first: false, entry: fromRow(r) };
    }
    this.db
      .prepare(
        'DELETE FROM network_sent WHERE client_ref = ?1 AND id NOT IN (SELECT id FROM network_sent WHERE client_ref = ?1 ORDER BY timestamp DESC, rowid DESC LIMIT ?2)',
      )
      .run(clientRef, SENT_LIMIT);
    return { first: true, entry };
  }

  /** What the number sent, oldest first. */
  sent(clientRef: number): NetworkSent[] {
    return (
      this.db.prepare('SELECT id, recipient, body, type, timestamp FROM network_sent WHERE client_ref = ? ORDER BY timestamp, rowid').all(clientRef) as Row[]
    ).map(fromRow);
  }

  forget(clientRef: number): void {
    this.db.prepare('DELETE FROM network_sent WHERE client_ref = ?').run(clientRef);
  }

  close(): void {
    this.db.close();
  }
}

type Row = { id: string; recipient: string; body: string; type: string; timestamp: number };
const fromRow = (r: Row): NetworkSent => ({ id: r.id, to: r.recipient, body: r.body, type: r.type, timestamp: r.timestamp });
