// Every enumerated word of the system, written once. The tuples feed both zod (`z.enum`) and drizzle
// (`text({ enum })`), so the API, the bridge protocol and the database agree by construction.
import { z } from '@hono/zod-openapi';

/** A WhatsApp session's state, as the bridge reports it and the edge stores it. */
export const SESSION_STATUSES = ['pending_auth', 'connected', 'disconnected', 'logged_out'] as const;
export const SessionStatusSchema = z.enum(SESSION_STATUSES);
export type SessionStatus = z.infer<typeof SessionStatusSchema>;

/** What kind of file a media message carries. */
export const MEDIA_KINDS = ['image', 'video', 'audio', 'document'] as const;
export const MediaKindSchema = z.enum(MEDIA_KINDS);
export type MediaKind = z.infer<typeof MediaKindSchema>;

/** How a bridge reaches WhatsApp. */
export const TRANSPORTS = ['sandbox', 'baileys'] as const;
export const TransportSchema = z.enum(TRANSPORTS);
export type TransportName = z.infer<typeof TransportSchema>;

/** Where a message travelled. */
export const CHANNELS = ['whatsapp', 'sms'] as const;
export const ChannelNameSchema = z.enum(CHANNELS);

/** A sent message's state: sent, then acknowledged further by the recipient's phone, or failed. */
export const SENT_STATUSES = ['sent', 'delivered', 'read', 'played', 'failed', 'cancelled'] as const;
export const SentStatusSchema = z.enum(SENT_STATUSES);
export type SentStatus = z.infer<typeof SentStatusSchema>;

/** WhatsApp's ack numbers and the status each one means. */
export const ACK_STATUS = { [-1]: 'failed', 1: 'sent', 2: 'delivered', 3: 'read', 4: 'played' } as const satisfies Record<number, SentStatus>;
export const ackStatus = (ack: number): SentStatus => ACK_STATUS[ack as keyof typeof ACK_STATUS] ?? 'sent';
export const ackOf = (status: string | null): number => {
  const found = Object.entries(ACK_STATUS).find(([, s]) => s === status);
  return found ? Number(found[0]) : 1;
};

/** A scheduled message's lifecycle. */
export const SCHEDULED_STATUSES = ['pending', 'sending', 'queued', 'sent', 'failed', 'cancelled'] as const;
export const ScheduledStatusSchema = z.enum(SCHEDULED_STATUSES);

/** A message a device must send (its outbox): offered, claimed with a lease, then reported. */
export const DEVICE_OUTBOX_STATUSES = ['pending', 'sending', 'sent', 'delivered', 'failed'] as const;
/** What a device outbox row is: a reply to a webhook, an SMS sent on demand (`/api/sms/send`), or a USSD request. */
export const DEVICE_WORK_KINDS = ['reply', 'send', 'ussd'] as const;
export const DeviceOutboxStatusSchema = z.enum(DEVICE_OUTBOX_STATUSES);

/** A webhook delivery's state. */
export const DELIVERY_STATUSES = ['pending', 'delivered', 'dead', 'paused'] as const;
export const DeliveryStatusSchema = z.enum(DELIVERY_STATUSES);

/** Who a webhook endpoint belongs to: a WhatsApp client, an Android device, or a rule's webhook action. */
export const ENDPOINT_KINDS = ['client', 'device', 'rule'] as const;

export const ROLES = ['admin', 'user'] as const;
export const RoleSchema = z.enum(ROLES);
export type Role = z.infer<typeof RoleSchema>;

/** What an audit-log row is about. */
export const AUDIT_CATEGORIES = ['security', 'app'] as const;
export const AuditCategorySchema = z.enum(AUDIT_CATEGORIES);
