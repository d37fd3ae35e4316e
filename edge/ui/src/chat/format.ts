// How times, names and previews read on the chat page.
import type { Message } from './types.ts';

const sameDay = (a: Date, b: Date) => a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();

/** A message's time of day: 14:05. */
export const clock = (seconds: number) => new Date(seconds * 1000).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

/** The list's time: today's as a clock, yesterday's as "Yesterday", older as a date. */
export function listTime(seconds: number): string {
  if (!seconds) return '';
  const d = new Date(seconds * 1000);
  const now = new Date();
  if (sameDay(d, now)) return clock(seconds);
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (sameDay(d, yesterday)) return 'Yesterday';
  return d.toLocaleDateString([], { day: 'numeric', month: 'short', ...(d.getFullYear() === now.getFullYear() ? {} : { year: 'numeric' }) });
}

/** The thread's day separator. */
export function dayLabel(seconds: number): string {
  const d = new Date(seconds * 1000);
  const now = new Date();
  if (sameDay(d, now)) return 'Today';
  const yesterday = new Date(now);
  yesterday.setDate(now.getDate() - 1);
  if (sameDay(d, yesterday)) return 'Yesterday';
  return d.toLocaleDateString([], { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
}

export const dayKey = (seconds: number) => new Date(seconds * 1000).toDateString();

/** Up to two letters for an avatar (any script: Hebrew and Arabic names too). */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[1]] : [words[0]];
  const text = letters.map((w) => (w ? Array.from(w)[0] : '')).join('');
  return /^[+\d]/.test(name.trim()) ? '#' : text.toUpperCase() || '?';
}

/** A phone number from a chat id, for a chat without a saved name. */
export const numberOf = (chatId: string) => {
  const digits = chatId.replace(/@.*$/, '');
  return /@(c\.us|s\.whatsapp\.net)$/.test(chatId) ? `+${digits}` : digits;
};

const KIND_WORDS: Record<string, string> = {
  image: 'Photo',
  sticker: 'Sticker',
  video: 'Video',
  audio: 'Audio',
  ptt: 'Voice message',
  document: 'Document',
  media: 'Attachment',
};

/** What the chat list shows of a message: its text, or the kind of its media. */
export function previewOf(m: { body: string; type?: string; hasMedia?: boolean }): string {
  if (m.body.trim()) return m.body;
  if (m.hasMedia || (m.type && KIND_WORDS[m.type])) return KIND_WORDS[m.type ?? 'media'] ?? 'Attachment';
  return '';
}

export type MediaKind = 'image' | 'video' | 'audio' | 'document';

/** How a received message's media is shown. */
export function mediaKindOf(m: Message): MediaKind {
  if (m.type === 'image' || m.type === 'sticker') return 'image';
  if (m.type === 'video' || m.type === 'gif') return 'video';
  if (m.type === 'audio' || m.type === 'ptt') return 'audio';
  return 'document';
}

const BY_EXTENSION: Record<string, MediaKind> = {
  jpg: 'image',
  jpeg: 'image',
  png: 'image',
  gif: 'image',
  webp: 'image',
  mp4: 'video',
  mp3: 'audio',
  pdf: 'document',
};

/** The kind of a media URL to send, from its file type (the API's list), or null when it is not one of them. */
export function mediaKindOfUrl(raw: string): MediaKind | null {
  try {
    const ext = /\.([A-Za-z0-9]+)$/.exec(new URL(raw).pathname)?.[1]?.toLowerCase();
    return ext ? (BY_EXTENSION[ext] ?? null) : null;
  } catch {
    return null;
  }
}

export const MEDIA_TYPES_SENTENCE = 'a link to a .jpg, .png, .gif, .webp, .mp4, .mp3 or .pdf file';
