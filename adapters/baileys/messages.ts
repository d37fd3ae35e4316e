// Baileys messages (proto.IWebMessageInfo, as `messages.upsert` delivers them) → bridge events.
// Type-only imports: this runs in the bridge and in tests, and needs nothing of Baileys at run time.
import type { WAMessage, WAMessageUpdate } from '@whiskeysockets/baileys';
import type { BridgeEvent } from '../protocol.ts';
import { fail, ok, type Result } from '../result.ts';

type MessageEvent = Extract<BridgeEvent, { kind: 'message' }>;
type AckEvent = Extract<BridgeEvent, { kind: 'ack' }>;
type Content = NonNullable<WAMessage['message']>;

/** `123@s.whatsapp.net` → `123@c.us` (the spec's chat ids); groups and channels keep theirs. */
export const toChatId = (jid: string) => jid.replace(/:\d+@/, '@').replace(/@s\.whatsapp\.net$/, '@c.us');
const isLid = (jid: string | null | undefined) => Boolean(jid?.endsWith('@lid'));
const number = (jid: string) => jid.replace(/[:@].*$/, '');

/** Strip the wrappers WhatsApp puts around content (ephemeral, view-once, captioned documents). */
function unwrap(message: Content | null | undefined): Content | undefined {
  let m = message ?? undefined;
  for (let i = 0; i < 5 && m; i++) {
    const inner =
      m.ephemeralMessage?.message ??
      m.viewOnceMessage?.message ??
      m.viewOnceMessageV2?.message ??
      m.documentWithCaptionMessage?.message ??
      m.editedMessage?.message;
    if (!inner) break;
    m = inner;
  }
  return m;
}

function describe(m: Content): { type: string; body: string; hasMedia: boolean; mimetype?: string; filename?: string } | undefined {
  if (m.conversation != null) return { type: 'chat', body: m.conversation, hasMedia: false };
  if (m.extendedTextMessage) return { type: 'chat', body: m.extendedTextMessage.text ?? '', hasMedia: false };
  const media = (type: string, x: { caption?: string | null; mimetype?: string | null; fileName?: string | null } | null | undefined) =>
    x
      ? { type, body: x.caption ?? '', hasMedia: true, ...(x.mimetype ? { mimetype: x.mimetype } : {}), ...(x.fileName ? { filename: x.fileName } : {}) }
      : undefined;
  return (
    media('image', m.imageMessage) ??
    media('video', m.videoMessage) ??
    media(m.audioMessage?.ptt ? 'ptt' : 'audio', m.audioMessage) ??
    media('document', m.documentMessage) ??
    media('sticker', m.stickerMessage) ??
    (m.locationMessage ? { type: 'location', body: m.locationMessage.name ?? '', hasMedia: false } : undefined) ??
    (m.contactMessage ? { type: 'vcard', body: m.contactMessage.displayName ?? '', hasMedia: false } : undefined)
  );
}

const toMillis = (ts: WAMessage['messageTimestamp'], fallback: number) => {
  const n = typeof ts === 'number' ? ts : ts ? Number(ts.toString()) : 0;
  return n > 0 ? (n < 1e12 ? n * 1000 : n) : fallback;
};

/** One received message → a `message` event; protocol messages, reactions and status broadcasts are skipped. */
export function normalizeMessage(msg: WAMessage, now = Date.now()): Result<MessageEvent> {
  const key = msg.key;
  if (!key?.remoteJid || !key.id) return fail('message without key');
  if (key.remoteJid === 'status@broadcast') return fail('status broadcast');
  const content = unwrap(msg.message);
  if (!content) return fail('message without content');
  if (content.protocolMessage || content.reactionMessage || (content.senderKeyDistributionMessage && Object.keys(content).length === 1)) {
    return fail('not a user message');
  }
  const described = describe(content);
  if (!described) return fail('unsupported message type');
  const isGroup = key.remoteJid.endsWith('@g.us');
  const chatJid = isLid(key.remoteJid) && key.remoteJidAlt ? key.remoteJidAlt : key.remoteJid;
  const senderJid = isGroup ? (isLid(key.participant) && key.participantAlt ? key.participantAlt : (key.participant ?? '')) : chatJid;
  return ok({
    kind: 'message',
    messageId: key.id,
    from: number(senderJid),
    chatId: toChatId(chatJid),
    fromMe: Boolean(key.fromMe),
    body: described.body,
    type: described.type,
    timestamp: toMillis(msg.messageTimestamp, now),
    hasMedia: described.hasMedia,
    ...(msg.pushName ? { pushName: msg.pushName } : {}),
    ...(isGroup ? { groupId: key.remoteJid } : {}),
    ...(described.mimetype ? { mimetype: described.mimetype } : {}),
    ...(described.filename ? { filename: described.filename } : {}),
  });
}

/** proto.WebMessageInfo.Status → the spec's ack (−1 failed, 1 sent, 2 delivered, 3 read, 4 played). */
const ACKS: Record<number, number> = { 0: -1, 2: 1, 3: 2, 4: 3, 5: 4 };

export function normalizeAck(update: WAMessageUpdate): Result<AckEvent> {
  const status = update.update?.status;
  if (!update.key?.id || !update.key.fromMe || status == null) return fail('not an ack of a sent message');
  const ack = ACKS[status];
  if (ack === undefined) return fail('pending');
  return ok({ kind: 'ack', messageId: update.key.id, to: number(update.key.remoteJid ?? ''), ack });
}

/** A reaction (`reactionMessage`) → a `reaction` event; an empty text takes it back. */
export function normalizeReaction(msg: WAMessage): Result<Extract<BridgeEvent, { kind: 'reaction' }>> {
  const r = unwrap(msg.message)?.reactionMessage;
  const key = msg.key;
  if (!r?.key?.id || !key?.remoteJid) return fail('not a reaction');
  const isGroup = key.remoteJid.endsWith('@g.us');
  const chatJid = isLid(key.remoteJid) && key.remoteJidAlt ? key.remoteJidAlt : key.remoteJid;
  const senderJid = isGroup ? (isLid(key.participant) && key.participantAlt ? key.participantAlt : (key.participant ?? '')) : chatJid;
  return ok({ kind: 'reaction', messageId: r.key.id, from: number(senderJid), emoji: r.text ?? '' });
}
