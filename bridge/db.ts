// The bridge's own SQLite file (node:sqlite): its event queue (events until the edge acknowledges them) and what sockets need (auth state,
// sent messages for Baileys' getMessage, sandbox pairings). The edge's D1 holds everything else.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS event_queue (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, frame TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS baileys_creds (client_ref INTEGER PRIMARY KEY, creds TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS baileys_keys (client_ref INTEGER NOT NULL, type TEXT NOT NULL, id TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (client_ref, type, id));
CREATE TABLE IF NOT EXISTS sent_messages (client_ref INTEGER NOT NULL, id TEXT NOT NULL, message TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (client_ref, id));
CREATE TABLE IF NOT EXISTS sandbox_pairings (client_ref INTEGER PRIMARY KEY, number TEXT NOT NULL);
-- keyed sends: the intent is written BEFORE the message leaves ('sending'), the result after ('sent')
CREATE TABLE IF NOT EXISTS send_keys (client_ref INTEGER NOT NULL, key TEXT NOT NULL, state TEXT NOT NULL CHECK (state IN ('sending', 'sent')), result TEXT, at INTEGER NOT NULL, PRIMARY KEY (client_ref, key));
CREATE TABLE IF NOT EXISTS media_refs (client_ref INTEGER NOT NULL, message_id TEXT NOT NULL, ref TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (client_ref, message_id));
-- Baileys: each received message's key as WhatsApp addressed it (a read receipt must name the same chat and participant)
CREATE TABLE IF NOT EXISTS inbound_keys (client_ref INTEGER NOT NULL, message_id TEXT NOT NULL, key TEXT NOT NULL, at INTEGER NOT NULL, live INTEGER NOT NULL DEFAULT 1, PRIMARY KEY (client_ref, message_id));
-- Baileys: the channels (@newsletter) a number follows, as its chats and history name them
CREATE TABLE IF NOT EXISTS channels (client_ref INTEGER NOT NULL, jid TEXT NOT NULL, PRIMARY KEY (client_ref, jid));
`;

export type BridgeDb = DatabaseSync;

export function openBridgeDb(path: string): BridgeDb {
  if (path !== ':memory:') {
    // owner only: the directory 0700, the file (and SQLite's -wal/-shm, which take its mode) 0600
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
    for (const f of [path, `${path}-wal`, `${path}-shm`]) if (existsSync(f)) chmodSync(f, 0o600);
  }
  const db = new DatabaseSync(path);
  // secure_delete: what is deleted or rewritten (old keys, plaintext rows of older versions) is overwritten, not left in free pages
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000; PRAGMA secure_delete = ON;');
  // renamed from `outbox` (one word per concept): keep what an older bridge left unacknowledged
  const old = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox'").get();
  if (old) db.exec('DROP TABLE IF EXISTS event_queue; ALTER TABLE outbox RENAME TO event_queue;');
  db.exec(SCHEMA);
  // keys an older bridge recorded (after sending) carry over as sent
  if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sent_keys'").get()) {
    db.exec(
      "INSERT OR IGNORE INTO send_keys (client_ref, key, state, result, at) SELECT client_ref, key, 'sent', result, at FROM sent_keys; DROP TABLE sent_keys;",
    );
  }
  return db;
}
