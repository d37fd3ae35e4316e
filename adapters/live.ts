// Frames on a client's live-updates WebSocket (`GET /api/chats/{clientId}/live`): one schema, one
// builder per kind, so the chat page and every sender of a frame agree.
import { z } from '@hono/zod-openapi';
import { SessionStatusSchema } from './vocabulary.ts';

/** A client's live state, kept in its Durable Object. */
export const LiveStateSchema = z.object({
  status: SessionStatusSchema.nullable(),
  connectedNumber: z.string().nullable(),
  /** base64 PNG while pairing */
  qrPng: z.string().nullable(),
  /** while pairing by phone code: the code to type on the phone */
  pairingCode: z.string().nullable().optional(),
  updatedAt: z.number().nullable(),
});
export type LiveState = z.infer<typeof LiveStateSchema>;

export const LiveMessageSchema = z.object({
  id: z.object({ _serialized: z.string() }),
  body: z.string(),
  fromMe: z.boolean(),
  /** Unix seconds */
  timestamp: z.number().int(),
  type: z.string(),
  hasMedia: z.boolean(),
  from: z.string().optional(),
});
export type LiveMessage = z.infer<typeof LiveMessageSchema>;

export const LiveFrameSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('hello'), state: LiveStateSchema }),
  /** the client's status or QR changed (pairing, connected, logged out) */
  z.object({ type: z.literal('state'), state: LiveStateSchema }),
  z.object({ type: z.literal('message'), chatId: z.string(), message: LiveMessageSchema }),
  z.object({ type: z.literal('ack'), messageId: z.string(), ack: z.number().int() }),
  z.object({ type: z.literal('reaction'), messageId: z.string(), senderId: z.string(), reaction: z.string() }),
  z.object({ type: z.literal('read'), chatId: z.string() }),
]);
export type LiveFrame = z.infer<typeof LiveFrameSchema>;

/** A message frame; `at` in milliseconds. */
export const liveMessage = (
  chatId: string,
  m: { id: string; body: string; fromMe: boolean; at: number; type: string; hasMedia: boolean; from?: string },
): LiveFrame => ({
  type: 'message',
  chatId,
  message: {
    id: { _serialized: m.id },
    body: m.body,
    fromMe: m.fromMe,
    timestamp: Math.floor(m.at / 1000),
    type: m.type,
    hasMedia: m.hasMedia,
    ...(m.from ? { from: m.from } : {}),
  },
});

/** A message about to leave: its live frame once the bridge answers with the id and time. */
export const PendingLiveSchema = z.object({ chatId: z.string(), body: z.string(), type: z.string(), hasMedia: z.boolean() });
export type PendingLive = z.infer<typeof PendingLiveSchema>;

export const sentFrame = (p: PendingLive, sent: { messageId: string; timestamp: number }): LiveFrame =>
  liveMessage(p.chatId, { id: sent.messageId, body: p.body, fromMe: true, at: sent.timestamp, type: p.type, hasMedia: p.hasMedia });
