// What a Baileys session keeps of its messages in the bridge's SQLite, bounded per client:
// - sent messages, for Baileys' getMessage (a recipient's retry request re-encrypts them);
// - received media messages, to download (or have re-uploaded) their media later;
// - received messages' keys, so a read receipt names the chat and participant WhatsApp used;
// - the channels the number follows.
// Messages are stored as protobuf bytes (proto.*.encode), never JSON: a JSON round trip turns bytes such as
// mediaKey into base64 text and the media's keys derived from it are then wrong. Sealed at rest (media keys).
import { BufferJSON, proto, type WAMessage, type WAMessageKey } from '@whiskeysockets/baileys';
import type { BridgeDb } from '../../db.ts';
import type { Sealer } from '../../seal.ts';

/** Rows kept per client and table; older ones are pruned. */
export const KEPT = { sent: 1000, media: 5000, keys: 5000 } as const;
/** Pruning runs once every this many inserts (a DELETE over the table is not per message). */
const PRUNE_EVERY = 100;

const bytes = (b: Uint8Array) => Buffer.from(b).toString('base64');

export class MessageStore {
  private readonly db: BridgeDb;
  private readonly ref: number;
  private readonly sealer: Sealer;
  private readonly inserts = new Map<string, number>();

  constructor(db: BridgeDb, clientRef: number, sealer: Sealer) {
    this.db = db;
    this.ref = clientRef;
    this.sealer = sealer;
  }

  private seal(data: Uint8Array) {
    return this.sealer.seal(bytes(data));
  }

  private open(text: string): Buffer | null {
    // rows of older bridges: plaintext JSON (BufferJSON)
    if (!text.startsWith('v1:')) return null;
    return Buffer.from(this.sealer.open(text), 'base64');
  }

  private pruned(table: 'sent_messages' | 'media_refs' | 'inbound_keys', idColumn: 'id' | 'message_id', keep: number) {
    const n = (this.inserts.get(table) ?? 0) + 1;
    this.inserts.set(table, n);
    if (n % PRUNE_EVERY !== 1) return; // the first insert after a start prunes too: a counter in memory restarts
    this.db
      .prepare(
        `DELETE FROM ${table} WHERE client_ref = ?1 AND ${idColumn} NOT IN (SELECT ${idColumn} FROM ${table} WHERE client_ref = ?1 ORDER BY at DESC LIMIT ?2)`,
      )
      .run(this.ref, keep);
  }

  saveSent(id: string, message: proto.IMessage): void {
    this.db
      .prepare('INSERT OR REPLACE INTO sent_messages (client_ref, id, message, at) VALUES (?, ?, ?, ?)')
      .run(this.ref, id, this.seal(proto.Message.encode(message).finish()), Date.now());
    this.pruned('sent_messages', 'id', KEPT.sent);
  }

  sent(id: string): proto.IMessage | undefined {
    const row = this.db.prepare('SELECT message FROM sent_messages WHERE client_ref = ? AND id = ?').get(this.ref, id) as { message: string } | undefined;
    if (!row) return undefined;
    const raw = this.open(row.message);
    return raw ? proto.Message.decode(raw) : proto.Message.fromObject(JSON.parse(row.message, BufferJSON.reviver));
  }

  saveMedia(msg: WAMessage): void {
    if (!msg.key.id) return;
    this.db
      .prepare('INSERT OR REPLACE INTO media_refs (client_ref, message_id, ref, at) VALUES (?, ?, ?, ?)')
      .run(this.ref, msg.key.id, this.seal(proto.WebMessageInfo.encode(msg).finish()), Date.now());
    this.pruned('media_refs', 'message_id', KEPT.media);
  }

  media(messageId: string): WAMessage | undefined {
    const row = this.db.prepare('SELECT ref FROM media_refs WHERE client_ref = ? AND message_id = ?').get(this.ref, messageId) as { ref: string } | undefined;
    if (!row) return undefined;
    const raw = this.open(row.ref);
    return (raw ? proto.WebMessageInfo.decode(raw) : proto.WebMessageInfo.fromObject(JSON.parse(row.ref, BufferJSON.reviver))) as WAMessage;
  }

  /** `live`: received now (not from the history sync) — a live message is reported once. */
  saveKey(key: WAMessageKey, live = true): void {
    if (!key.id) return;
    const { remoteJid, participant, fromMe } = key;
    this.db
      .prepare(
        `INSERT INTO inbound_keys (client_ref, message_id, key, at, live) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (client_ref, message_id) DO UPDATE SET live = max(live, excluded.live)`,
      )
      .run(this.ref, key.id, JSON.stringify({ remoteJid, participant, fromMe: Boolean(fromMe) }), Date.now(), live ? 1 : 0);
    this.pruned('inbound_keys', 'message_id', KEPT.keys);
  }

  /** The keys received messages came with (those never seen are absent). */
  keys(ids: string[]): Map<string, WAMessageKey> {
    const out = new Map<string, WAMessageKey>();
    const get = this.db.prepare('SELECT key FROM inbound_keys WHERE client_ref = ? AND message_id = ?');
    for (const id of ids) {
      const row = get.get(this.ref, id) as { key: string } | undefined;
      if (row) out.set(id, { ...(JSON.parse(row.key) as WAMessageKey), id });
    }
    return out;
  }

  /** Whether a received message was already reported live (a redelivery after a reconnect is not a second message). */
  seen(id: string): boolean {
    return Boolean(this.db.prepare('SELECT 1 FROM inbound_keys WHERE client_ref = ? AND message_id = ? AND live = 1').get(this.ref, id));
  }

  addChannels(jids: (string | null | undefined)[]): void {
    const put = this.db.prepare('INSERT OR IGNORE INTO channels (client_ref, jid) VALUES (?, ?)');
    for (const jid of jids) if (jid?.endsWith('@newsletter')) put.run(this.ref, jid);
  }

  removeChannel(jid: string): void {
    this.db.prepare('DELETE FROM channels WHERE client_ref = ? AND jid = ?').run(this.ref, jid);
  }

  channels(): string[] {
    return (this.db.prepare('SELECT jid FROM channels WHERE client_ref = ? ORDER BY jid').all(this.ref) as { jid: string }[]).map((r) => r.jid);
  }

  /** Logged out: nothing of the number's messages stays. */
  clear(): void {
    for (const t of ['sent_messages', 'media_refs', 'inbound_keys', 'channels']) this.db.prepare(`DELETE FROM ${t} WHERE client_ref = ?`).run(this.ref);
  }
}
