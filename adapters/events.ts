// Every webhook event Switchboard sends: one zod discriminated union over the `{event, data}` envelope.
// The WhatsApp events keep the spec's exact data fields; the others use the same envelope.
import { z } from '@hono/zod-openapi';
import { CHANNELS, SentStatusSchema, SessionStatusSchema } from './vocabulary.ts';

/** Where an inbound or outbound message travelled. */
export const ChannelSchema = z.enum(CHANNELS).openapi({ description: '`whatsapp` (a bridge session or a phone) or `sms` (an Android device)' });

const ms = z.number().int().openapi({ description: 'Unix time in milliseconds', example: 1699123456789 });

export const MessageReceivedData = z
  .object({
    from: z.string().openapi({ example: '1234567890' }),
    to: z.string().openapi({ description: 'The clientId (or deviceId) that received it', example: 'client-id' }),
    body: z.string(),
    message: z.string(),
    timestamp: ms,
    type: z.literal('received_message'),
    channel: ChannelSchema.optional(),
    messageId: z.string().optional(),
    deviceId: z.string().optional(),
    groupId: z.string().optional(),
    mediaUrl: z.string().optional(),
    fromLid: z.string().optional().openapi({
      description: 'WhatsApp: the sender’s LID (`…@lid`) beside its number, when WhatsApp addressed it by LID; `from` stays the number',
      example: '123456789012345@lid',
    }),
  })
  .openapi('MessageReceivedData');

export const MessageSentData = z
  .object({
    from: z.string().openapi({ example: 'client-id' }),
    to: z.string().openapi({ example: '1234567890' }),
    body: z.string(),
    message: z.string(),
    timestamp: ms,
    type: z.literal('sent_message'),
    channel: ChannelSchema.optional(),
    messageId: z.string().optional(),
    deviceId: z.string().optional(),
  })
  .openapi('MessageSentData');

export const MessageAckData = z
  .object({
    messageId: z.string(),
    from: z.string(),
    to: z.string(),
    ack: z.number().int().min(-1).max(4).openapi({ description: '-1 failed, 1 sent, 2 delivered, 3 read, 4 played' }),
    status: SentStatusSchema,
    timestamp: ms,
    type: z.literal('message_ack'),
    channel: ChannelSchema.optional(),
    error: z.string().optional(),
  })
  .openapi('MessageAckData');

export const MessageFailedData = z
  .object({
    messageId: z.string().openapi({ description: 'the id the send was answered with' }),
    from: z.string().openapi({ example: 'client-id' }),
    to: z.string().openapi({ example: '1234567890' }),
    body: z.string(),
    code: z.string().openapi({ example: 'EXPIRED', description: 'why: EXPIRED, MEDIA_ERROR, READ_ONLY_CHAT, SEND_OUTCOME_UNKNOWN, …' }),
    error: z.string(),
    timestamp: ms,
    type: z.literal('message_failed'),
    channel: ChannelSchema.optional(),
  })
  .openapi('MessageFailedData');

export const CallRejectedData = z
  .object({
    from: z.string().openapi({ example: '1234567890' }),
    to: z.string().openapi({ example: 'client-id' }),
    isVideo: z.boolean(),
    timestamp: ms,
    type: z.literal('call_rejected'),
    callId: z.string().optional(),
    fromLid: z
      .string()
      .optional()
      .openapi({ description: 'The caller’s LID beside its number, when WhatsApp addressed it by LID', example: '123456789012345@lid' }),
  })
  .openapi('CallRejectedData');

export const ClientStatusData = z
  .object({
    clientId: z.string(),
    status: SessionStatusSchema,
    connectedNumber: z.string().nullable(),
    reason: z.string().optional(),
    timestamp: ms,
    type: z.literal('client_status'),
  })
  .openapi('ClientStatusData');

export const SmsReceivedData = z
  .object({
    from: z.string().openapi({ description: 'Sender phone number', example: '+639760713666' }),
    to: z.string().openapi({ description: 'The deviceId that received it' }),
    body: z.string(),
    message: z.string(),
    sim: z.number().int().nullable(),
    deviceId: z.string(),
    device: z.string().nullable().openapi({ description: "The phone's own device id, as it reported it" }),
    id: z.number().int().nullable().openapi({ description: "The device's id for this payload" }),
    rid: z.number().int().nullable(),
    timestamp: ms,
    type: z.literal('sms_received'),
    channel: z.literal('sms'),
  })
  .openapi('SmsReceivedData');

export const UssdResponseData = z
  .object({
    requestId: z.string().optional().openapi({ description: 'The `POST /api/ussd` request this answers (absent for a USSD session the phone ran by itself)' }),
    code: z.string().openapi({ example: '*143#' }),
    response: z.string().openapi({ description: "The network's answer (empty when it failed)" }),
    status: z.enum(['answered', 'failed']).optional().openapi({ description: 'A request: answered, or failed (by the device, or unanswered in 60 s)' }),
    error: z.string().optional(),
    sim: z.number().int().nullable(),
    deviceId: z.string(),
    device: z.string().nullable(),
    id: z.number().int().nullable(),
    timestamp: ms,
    type: z.literal('ussd_response'),
  })
  .openapi('UssdResponseData');

export const NotificationReceivedData = z
  .object({
    package: z.string().openapi({ example: 'com.facebook.katana' }),
    title: z.string(),
    content: z.string(),
    deviceId: z.string(),
    device: z.string().nullable(),
    id: z.number().int().nullable(),
    timestamp: ms,
    type: z.literal('notification_received'),
  })
  .openapi('NotificationReceivedData');

export const SmsStatusData = z
  .object({
    id: z.string().openapi({ description: 'The send this is about (`POST /api/sms/send`)', example: 'sms_3f2a9c0d1e4b5a6c' }),
    status: z.enum(['sent', 'delivered', 'failed']),
    to: z.string(),
    deviceId: z.string().openapi({ description: 'The device that sent it' }),
    sim: z.number().int().nullable(),
    segments: z.number().int().nullable(),
    error: z.string().optional().openapi({ description: 'Why it failed, as the device said' }),
    fallbackOf: z.string().optional().openapi({ description: 'The WhatsApp message this SMS stands in for (fallback)' }),
    timestamp: ms,
    type: z.literal('sms_status'),
    channel: z.literal('sms'),
  })
  .openapi('SmsStatusData');

const envelope = <N extends string, D extends z.ZodType>(name: N, data: D) => z.object({ event: z.literal(name), data }).openapi(`${name}_event`);

export const EVENT_SCHEMAS = {
  message_received: envelope('message_received', MessageReceivedData),
  message_sent: envelope('message_sent', MessageSentData),
  message_ack: envelope('message_ack', MessageAckData),
  message_failed: envelope('message_failed', MessageFailedData),
  call_rejected: envelope('call_rejected', CallRejectedData),
  client_status: envelope('client_status', ClientStatusData),
  sms_received: envelope('sms_received', SmsReceivedData),
  ussd_response: envelope('ussd_response', UssdResponseData),
  sms_status: envelope('sms_status', SmsStatusData),
  notification_received: envelope('notification_received', NotificationReceivedData),
} as const;

export const WebhookEventSchema = z.discriminatedUnion('event', [
  EVENT_SCHEMAS.message_received,
  EVENT_SCHEMAS.message_sent,
  EVENT_SCHEMAS.message_ack,
  EVENT_SCHEMAS.message_failed,
  EVENT_SCHEMAS.call_rejected,
  EVENT_SCHEMAS.client_status,
  EVENT_SCHEMAS.sms_received,
  EVENT_SCHEMAS.ussd_response,
  EVENT_SCHEMAS.sms_status,
  EVENT_SCHEMAS.notification_received,
]);

export type WebhookEvent = z.infer<typeof WebhookEventSchema>;
export type EventName = WebhookEvent['event'];
export const EVENT_NAMES = Object.keys(EVENT_SCHEMAS) as EventName[];
export type EventOf<N extends EventName> = Extract<WebhookEvent, { event: N }>;

/** What a rejected caller is told when the webhook names no `rejectionMessage` (the spec's default). */
export const DEFAULT_REJECTION = 'מצטער, אינני זמין כעת.';

/** What a webhook consumer may answer: `response` goes back to a message's sender, `rejectionMessage` to a caller. */
export const WebhookReplySchema = z
  .looseObject({
    status: z.string().optional(),
    message: z.string().optional(),
    response: z.string().optional(),
    rejectionMessage: z.string().optional(),
  })
  .openapi('WebhookReply');
export type WebhookReply = z.infer<typeof WebhookReplySchema>;
