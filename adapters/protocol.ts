// Frames on the bridge ↔ edge WebSocket link, validated on both sides.
import { z } from '@hono/zod-openapi';

export const SessionStatusSchema = z.enum(['pending_auth', 'connected', 'disconnected', 'logged_out']);
export type SessionStatus = z.infer<typeof SessionStatusSchema>;

export const MediaKindSchema = z.enum(['image', 'video', 'audio', 'document']);

/** What a session reports; each one travels in an `event` frame with an id the edge acknowledges. */
export const BridgeEventSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('qr'), qr: z.string(), png: z.string().describe('base64 PNG of the QR code') }),
  z.object({ kind: z.literal('status'), status: SessionStatusSchema, connectedNumber: z.string().nullable(), reason: z.string().optional() }),
  z.object({
    kind: z.literal('message'),
    messageId: z.string(),
    /** sender's number (digits) */
    from: z.string(),
    /** the chat: `<number>@c.us`, `<id>@g.us` or `<id>@newsletter` */
    chatId: z.string(),
    fromMe: z.boolean(),
    body: z.string(),
    type: z.string(),
    timestamp: z.number().int(),
    pushName: z.string().optional(),
    groupId: z.string().optional(),
    hasMedia: z.boolean(),
    mimetype: z.string().optional(),
    filename: z.string().optional(),
    /** from the history sync after pairing: stored for the chat views, never a webhook */
    history: z.boolean().optional(),
  }),
  z.object({ kind: z.literal('ack'), messageId: z.string(), to: z.string(), ack: z.number().int().min(-1).max(4) }),
  z.object({ kind: z.literal('call'), callId: z.string(), from: z.string(), isVideo: z.boolean(), timestamp: z.number().int() }),
  /** someone reacted to a message (an empty emoji takes the reaction back) */
  z.object({ kind: z.literal('reaction'), messageId: z.string(), from: z.string(), emoji: z.string() }),
]);
export type BridgeEvent = z.infer<typeof BridgeEventSchema>;

export const SessionSpecSchema = z.object({ clientRef: z.number().int(), clientId: z.string(), phoneNumber: z.string() });
export type SessionSpec = z.infer<typeof SessionSpecSchema>;

export const SendParamsSchema = z.object({
  to: z.string(),
  /** makes the send idempotent on the bridge: a repeat with the same key answers the first result */
  key: z.string().max(128).optional(),
  text: z.string().optional(),
  media: z
    .object({ url: z.string(), kind: MediaKindSchema, mimetype: z.string().optional(), filename: z.string().optional() })
    .optional(),
});
export type SendParams = z.infer<typeof SendParamsSchema>;

/** Many text sends in one request (scheduled dispatch): answered item by item, in order. */
export const SendBatchParamsSchema = z.object({ items: z.array(SendParamsSchema).min(1).max(500) });
export type SendOutcome = { ok: true; messageId: string; timestamp: number } | { ok: false; code: string; message: string };

export const OpSchema = z.enum(['start', 'stop', 'logout', 'send', 'sendBatch', 'groups', 'media', 'read', 'sandbox.scan', 'sandbox.inbound', 'sandbox.call', 'sandbox.react', 'sandbox.outbox']);
export type Op = z.infer<typeof OpSchema>;

export const BridgeFrameSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('hello'), bridgeId: z.string().min(1).max(64), transport: z.enum(['sandbox', 'baileys']), sessions: z.number().int() }),
  z.object({ t: z.literal('event'), id: z.string().min(8).max(64), clientRef: z.number().int(), at: z.number().int(), event: BridgeEventSchema }),
  /** the answer to a `req`: `result` when ok, else `code` and `message` */
  z.object({ t: z.literal('res'), id: z.string(), ok: z.boolean(), result: z.unknown().optional(), code: z.string().optional(), message: z.string().optional() }),
]);
export type BridgeFrame = z.infer<typeof BridgeFrameSchema>;

export const EdgeFrameSchema = z.discriminatedUnion('t', [
  z.object({ t: z.literal('welcome'), sessions: z.array(SessionSpecSchema) }),
  z.object({ t: z.literal('ack'), ids: z.array(z.string()) }),
  z.object({ t: z.literal('req'), id: z.string(), clientRef: z.number().int(), op: OpSchema, params: z.record(z.string(), z.unknown()).default({}) }),
]);
export type EdgeFrame = z.infer<typeof EdgeFrameSchema>;

/** `12345@c.us` / `12345@s.whatsapp.net` / `+12345` → `12345`. */
export const toNumber = (jidOrNumber: string) => jidOrNumber.replace(/^\+/, '').replace(/[:@].*$/, '');

/** A group or channel as a transport reports it (the `groups` op). */
export const GroupInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  type: z.enum(['group', 'channel']),
  isReadOnly: z.boolean(),
  participants: z.number().int(),
  owner: z.string().nullable(),
  createdAt: z.number().int().nullable(),
});
export type GroupInfo = z.infer<typeof GroupInfoSchema>;

export const isGroupId = (id: string) => /@g\.us$/.test(id);
export const isChannelId = (id: string) => /@newsletter$/.test(id);
