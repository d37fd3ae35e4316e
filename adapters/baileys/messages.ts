// Baileys messages (proto.IWebMessageInfo, as `messages.upsert` delivers them) → bridge events.
// Type-only imports: this runs in the bridge and in tests, and needs nothing of Baileys at run time.
import type { MessageUserReceiptUpdate, WAMessage, WAMessageKey, WAMessageUpdate } from '@whiskeysockets/baileys';
import type { BridgeEvent } from '../protocol.ts';
import { fail, ok, type Result } from '../result.ts';

type MessageEvent = Extract<BridgeEvent, { kind: 'message' }>;
type AckEvent = Extract<BridgeEvent, { kind: 'ack' }>;
type Content = NonNullable<WAMessage['message']>;

/** rc14 also meets hosted (business-hosted) users: `@hosted` is a phone number, `@hosted.lid` a LID. */
const unhosted = (jid: string) => jid.replace(/@hosted\.lid$/, '@lid').replace(/@hosted$/, '@s.whatsapp.net');
/** `123@s.whatsapp.net` → `123@c.us` (the spec's chat ids); groups, channels and LIDs (`…@lid`) keep theirs. */
export const toChatId = (jid: string) =>
  unhosted(jid)
    .replace(/:\d+@/, '@')
    .replace(/@s\.whatsapp\.net$/, '@c.us');
export const isLid = (jid: string | null | undefined): jid is string => Boolean(jid && /@(hosted\.)?lid$/.test(jid));
/**
 * Who a jid is, for `from`/`to`: a phone number's digits. Anything else keeps its whole id — a contact
 * WhatsApp addresses by LID whose number is not known (`…@lid`, which a reply can be sent to), a channel
 * (`…@newsletter`). Never a LID's or a channel's digits as if they were a phone number.
 */
export const party = (jid: string) => {
  const j = unhosted(jid).replace(/:\d+@/, '@');
  return j.endsWith('@s.whatsapp.net') || j.endsWith('@c.us') ? j.replace(/@.*$/, '') : j;
};

/** The sender's LID, from whichever side of the key carries it (the address or its `…Alt`). */
function lidOf(key: WAMessageKey, isGroup: boolean): string | undefined {
  const [main, alt] = isGroup ? [key.participant, key.participantAlt] : [key.remoteJid, key.remoteJidAlt];
  const lid = isLid(main) ? main : isLid(alt) ? alt : undefined;
  return lid ? party(lid) : undefined;
}

/** The chat and the sender of a message key, by phone number where the key carries it (`…Alt`). */
function addressOf(key: WAMessageKey): { chatJid: string; senderJid: string; isGroup: boolean } {
  const remoteJid = key.remoteJid ?? '';
  const isGroup = remoteJid.endsWith('@g.us');
  const chatJid = isLid(remoteJid) && key.remoteJidAlt ? key.remoteJidAlt : remoteJid;
  const senderJid = isGroup ? (isLid(key.participant) && key.participantAlt ? key.participantAlt : (key.participant ?? '')) : chatJid;
  return { chatJid, senderJid, isGroup };
}

/** Strip the wrappers WhatsApp puts around content — the same ones Baileys' normalizeMessageContent unwraps. */
export function unwrap(message: Content | null | undefined): Content | undefined {
  let m = message ?? undefined;
  for (let i = 0; i < 5 && m; i++) {
    const inner =
      m.ephemeralMessage?.message ??
      m.viewOnceMessage?.message ??
      m.viewOnceMessageV2?.message ??
      m.viewOnceMessageV2Extension?.message ??
      m.documentWithCaptionMessage?.message ??
      m.editedMessage?.message ??
      m.associatedChildMessage?.message ??
      m.groupStatusMessage?.message ??
      m.groupStatusMessageV2?.message;
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

/**
 * One message → a `message` event; protocol messages, reactions and status broadcasts are skipped.
 * `me` (this number's digits) is the sender of the number's own messages (history sync sends them too).
 */
export function normalizeMessage(msg: WAMessage, now = Date.now(), me?: string | null): Result<MessageEvent> {
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
  const { chatJid, senderJid, isGroup } = addressOf(key);
  const from = key.fromMe && me ? me : party(senderJid);
  const lid = lidOf(key, isGroup);
  return ok({
    kind: 'message',
    messageId: key.id,
    from,
    chatId: toChatId(chatJid),
    ...(lid && lid !== from ? { senderLid: lid } : {}),
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

/**
 * A 1:1 receipt or a server nack (`messages.update` with a status) → an `ack` event. A nack (status ERROR)
 * carries WhatsApp's error code (`messageStubParameters[0]`, e.g. "463": the number may not reach out now).
 */
export function normalizeAck(update: WAMessageUpdate): Result<AckEvent> {
  const status = update.update?.status;
  if (!update.key?.id || !update.key.fromMe || status == null) return fail('not an ack of a sent message');
  const ack = ACKS[status];
  if (ack === undefined) return fail('pending');
  const error = ack === -1 ? update.update.messageStubParameters?.[0] : undefined;
  return ok({ kind: 'ack', messageId: update.key.id, to: party(addressOf(update.key).chatJid), ack, ...(error ? { error: String(error) } : {}) });
}

/**
 * A group member's receipt (`message-receipt.update`: rc14 reports group receipts only there) → an `ack`
 * event for the message: delivered, read or played by that member. Statuses only move forward at the edge,
 * so the message is "delivered" once the first member's phone has it.
 */
export function normalizeReceipt(update: MessageUserReceiptUpdate): Result<AckEvent> {
  const { key, receipt } = update;
  if (!key?.id || !key.fromMe || !key.remoteJid) return fail('not a receipt of a sent message');
  const ack = receipt.playedTimestamp ? 4 : receipt.readTimestamp ? 3 : receipt.receiptTimestamp ? 2 : undefined;
  if (ack === undefined) return fail('receipt without a time');
  return ok({ kind: 'ack', messageId: key.id, to: toChatId(key.remoteJid), ack });
}

/** A reaction (`reactionMessage`) → a `reaction` event; an empty text takes it back. */
export function normalizeReaction(msg: WAMessage): Result<Extract<BridgeEvent, { kind: 'reaction' }>> {
  const r = unwrap(msg.message)?.reactionMessage;
  const key = msg.key;
  if (!r?.key?.id || !key?.remoteJid) return fail('not a reaction');
  return ok({ kind: 'reaction', messageId: r.key.id, from: party(addressOf(key).senderJid), emoji: r.text ?? '' });
}
