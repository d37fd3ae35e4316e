// Profile pictures of chats, groups and channels (rc14's profilePictureUrl, the small "preview"), each kept
// for a day — a missing or hidden picture too (WhatsApp answers 404/401), so a chat list does not ask
// WhatsApp again for every row. Bounded: the oldest entries go first.
import type { WASocket } from '@whiskeysockets/baileys';

export const PICTURE_TTL_MS = 24 * 60 * 60_000;
const KEPT = 2000;
const LOOKUP_TIMEOUT_MS = 5000;

export class PictureCache {
  private readonly entries = new Map<string, { url: string | null; at: number }>();

  async get(sock: Partial<Pick<WASocket, 'profilePictureUrl'>> | undefined, jids: { chatId: string; jid: string }[], now = Date.now()) {
    return Promise.all(
      jids.map(async ({ chatId, jid }) => {
        const known = this.entries.get(jid);
        if (known && now - known.at < PICTURE_TTL_MS) return { chatId, url: known.url };
        if (!sock?.profilePictureUrl) return { chatId, url: known?.url ?? null };
        try {
          const url = (await sock.profilePictureUrl(jid, 'preview', LOOKUP_TIMEOUT_MS)) ?? null;
          this.put(jid, url, now);
          return { chatId, url };
        } catch (err) {
          // no picture, or not allowed to see it: a fact for a day; anything else (a timeout): not kept
          const status = (err as { output?: { statusCode?: number }; data?: unknown })?.output?.statusCode;
          if (status === 404 || status === 401 || status === 403) this.put(jid, null, now);
          return { chatId, url: known?.url ?? null };
        }
      }),
    );
  }

  private put(jid: string, url: string | null, at: number) {
    this.entries.delete(jid);
    this.entries.set(jid, { url, at });
    if (this.entries.size > KEPT) this.entries.delete(this.entries.keys().next().value!);
  }

  clear() {
    this.entries.clear();
  }
}
