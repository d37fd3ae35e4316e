// The per-chat summary (last message, contact name) written in the same D1 batch as the message, so the
// chat list reads one row per chat instead of scanning history. An older message never replaces a newer
// summary, so replays and history syncs arriving late change nothing.
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { jsonChunks } from '../lib/sql-list.ts';
import { chatState } from '../db/schema.ts';

/** Private chats only (`<number>@c.us`, or `<lid>@lid` for a contact known by LID); groups and channels have their own list. */
export const isPrivateChat = (chatId: string) => chatId.endsWith('@c.us') || chatId.endsWith('@lid');

/**
 * `countUnread`: this write follows, in the same batch, the insert of a received message; the unread
 * count grows by the rows that insert added (SQLite's changes()), so a re-sent event counts nothing.
 */
export function summaryWrite(
  db: Db,
  m: { clientRef: number; chatId: string; body: string; at: number; fromMe: boolean; name?: string | null; countUnread?: boolean },
) {
  const added = m.countUnread ? sql`changes()` : sql`0`;
  return db
    .insert(chatState)
    .values({ clientRef: m.clientRef, chatId: m.chatId, lastBody: m.body, lastAt: m.at, lastFromMe: m.fromMe, name: m.name ?? null, unread: added })
    .onConflictDoUpdate({
      target: [chatState.clientRef, chatState.chatId],
      set: {
        lastBody: sql`CASE WHEN coalesce(${chatState.lastAt}, 0) <= excluded.last_at THEN excluded.last_body ELSE ${chatState.lastBody} END`,
        lastFromMe: sql`CASE WHEN coalesce(${chatState.lastAt}, 0) <= excluded.last_at THEN excluded.last_from_me ELSE ${chatState.lastFromMe} END`,
        lastAt: sql`max(coalesce(${chatState.lastAt}, 0), excluded.last_at)`,
        name: sql`coalesce(excluded.name, ${chatState.name})`,
        unread: sql`${chatState.unread} + excluded.unread`,
      },
    });
}

/** The same upsert for the summaries of many sent messages of one client: one statement (more for long texts), in their order. */
export function sentSummariesWrites(d1: D1Database, clientRef: number, rows: { chatId: string; body: string; at: number }[]): D1PreparedStatement[] {
  const upsert = d1.prepare(
    `INSERT INTO chat_state (client_ref, chat_id, read_until, muted, pinned, last_body, last_at, last_from_me, name, unread)
     SELECT ?1, r ->> 0, 0, 0, 0, r ->> 1, r ->> 2, 1, NULL, 0 FROM (SELECT value AS r FROM json_each(?2)) WHERE true
     ON CONFLICT (client_ref, chat_id) DO UPDATE SET
       last_body = CASE WHEN coalesce(chat_state.last_at, 0) <= excluded.last_at THEN excluded.last_body ELSE chat_state.last_body END,
       last_at = max(coalesce(chat_state.last_at, 0), excluded.last_at),
       last_from_me = CASE WHEN coalesce(chat_state.last_at, 0) <= excluded.last_at THEN excluded.last_from_me ELSE chat_state.last_from_me END,
       name = coalesce(excluded.name, chat_state.name),
       unread = chat_state.unread + excluded.unread`,
  );
  return jsonChunks(rows.map((r) => [r.chatId, r.body, r.at])).map((json) => upsert.bind(clientRef, json));
}
