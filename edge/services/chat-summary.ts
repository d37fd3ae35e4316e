// The per-chat summary (last message, contact name) written in the same D1 batch as the message, so the
// chat list reads one row per chat instead of scanning history. An older message never replaces a newer
// summary, so replays and history syncs arriving late change nothing.
import { sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
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
