// D1 schema: the only durable data of Switchboard. Secrets are stored hashed or sealed, never plain.
import { sql } from 'drizzle-orm';
import { type AnySQLiteColumn, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import {
  AUDIT_CATEGORIES,
  CHANNELS,
  DELIVERY_STATUSES,
  DEVICE_OUTBOX_STATUSES,
  DEVICE_WORK_KINDS,
  ROLES,
  SCHEDULED_STATUSES,
  SENT_STATUSES,
  SESSION_STATUSES,
} from '../../adapters/vocabulary.ts';

const createdAt = () => integer('created_at', { mode: 'number' }).notNull().default(sql`(unixepoch('subsec') * 1000)`);

/** The owning user; rows go with the user. */
const ownerRef = () =>
  integer('user_id')
    .notNull()
    .references((): AnySQLiteColumn => users.id, { onDelete: 'cascade' });

/** The WhatsApp client a row belongs to; rows go with the client. */
const clientRefColumn = () =>
  integer('client_ref')
    .notNull()
    .references((): AnySQLiteColumn => clients.id, { onDelete: 'cascade' });

export const users = sqliteTable('users', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  username: text('username').notNull().unique(),
  /** `pbkdf2-sha256$<iterations>$<salt b64>$<hash b64>` */
  passwordHash: text('password_hash').notNull(),
  role: text('role', { enum: ROLES }).notNull().default('user'),
  /** null = unlimited */
  maxClients: integer('max_clients'),
  createdAt: createdAt(),
});

export const clients = sqliteTable(
  'clients',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: ownerRef(),
    clientId: text('client_id').notNull(),
    phoneNumber: text('phone_number').notNull(),
    status: text('status', { enum: SESSION_STATUSES }).notNull().default('pending_auth'),
    connectedNumber: text('connected_number'),
    /** when the bridge saw the current status (its event time): an older status event never overwrites it */
    statusAt: integer('status_at'),
    webhookUrl: text('webhook_url'),
    /** AES-GCM sealed `whsec_...` signing secret */
    webhookSecretSealed: text('webhook_secret_sealed'),
    /** set when the endpoint answered 410 Gone; saving a URL again clears it */
    webhookDisabledAt: integer('webhook_disabled_at'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('clients_user_client_id').on(t.userId, t.clientId)],
);

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: ownerRef(),
    /** null = the account key; else the key of this client only */
    clientRef: integer('client_ref').references(() => clients.id, { onDelete: 'cascade' }),
    /** SHA-256 hex of the key: the lookup */
    keyHash: text('key_hash').notNull().unique(),
    /** AES-GCM sealed copy, so the owner can be shown the key again */
    keySealed: text('key_sealed').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('api_keys_user').on(t.userId), index('api_keys_client').on(t.clientRef)],
);

/** Dashboard logins (the `sb_session` cookie); the table keeps its first name. */
export const logins = sqliteTable(
  'sessions',
  {
    /** SHA-256 hex of the cookie token */
    tokenHash: text('token_hash').primaryKey(),
    userId: ownerRef(),
    expiresAt: integer('expires_at').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('sessions_expiry').on(t.expiresAt)],
);

export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: integer('user_id').references(() => users.id, { onDelete: 'cascade' }),
    category: text('category', { enum: AUDIT_CATEGORIES }).notNull(),
    event: text('event').notNull(),
    message: text('message').notNull(),
    ip: text('ip'),
    /** repeated failures (bad keys, rate limits) from one address fold into one row: how many, and the last */
    count: integer('count').notNull().default(1),
    lastAt: integer('last_at'),
    createdAt: createdAt(),
  },
  (t) => [index('audit_user_id').on(t.userId, t.id), index('audit_fold').on(t.event, t.ip, t.createdAt), index('audit_age').on(t.createdAt)],
);

export const apiUsage = sqliteTable(
  'api_usage',
  {
    userId: ownerRef(),
    /** `account` or `client:<clientId>` — survives key resets */
    keyLabel: text('key_label').notNull(),
    method: text('method').notNull(),
    route: text('route').notNull(),
    day: text('day').notNull(),
    count: integer('count').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.userId, t.keyLabel, t.method, t.route, t.day] })],
);

/** Android companion devices: authenticated by a secret (hashed for lookup, sealed to sign X-Api-Key). */
export const devices = sqliteTable(
  'devices',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** public id, `dev_...` */
    deviceId: text('device_id').notNull().unique(),
    userId: ownerRef(),
    name: text('name').notNull(),
    secretHash: text('secret_hash').notNull().unique(),
    secretSealed: text('secret_sealed').notNull(),
    webhookUrl: text('webhook_url'),
    webhookSecretSealed: text('webhook_secret_sealed'),
    webhookDisabledAt: integer('webhook_disabled_at'),
    lastSeenAt: integer('last_seen_at'),
    createdAt: createdAt(),
  },
  (t) => [index('devices_user').on(t.userId)],
);

/** Every event a device posted, kept for GET /api/devices/{deviceId}/events. */
export const deviceEvents = sqliteTable(
  'device_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    deviceRef: integer('device_ref')
      .notNull()
      .references(() => devices.id, { onDelete: 'cascade' }),
    event: text('event').notNull(),
    /** SHA-256 of the normalizer's dedupe key: a repeated payload is dropped */
    dedupeHash: text('dedupe_hash').notNull(),
    payload: text('payload').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('device_events_dedupe').on(t.deviceRef, t.dedupeHash),
    index('device_events_list').on(t.deviceRef, t.event, t.id),
    index('device_events_age').on(t.createdAt),
  ],
);

/** Webhook deliveries: one row per event per endpoint, sent by the endpoint's WebhookSender Durable Object. */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    /** the Standard Webhooks `webhook-id`, the same on every attempt: `msg_...` */
    id: text('id').primaryKey(),
    userId: ownerRef(),
    /** `client:<id>` or `device:<id>`: which endpoint, and which Durable Object works it */
    endpoint: text('endpoint').notNull(),
    event: text('event').notNull(),
    /** the exact JSON body, sent unchanged on every attempt */
    payload: text('payload').notNull(),
    /** where a reply (`response`) goes back, JSON, for inbound messages */
    replyRoute: text('reply_route'),
    status: text('status', { enum: DELIVERY_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    /** due time; while an attempt is in flight it is pushed out by a lease, so a crash retries it */
    nextAttemptAt: integer('next_attempt_at').notNull(),
    lastError: text('last_error'),
    lastStatus: integer('last_status'),
    createdAt: createdAt(),
    deliveredAt: integer('delivered_at'),
    /** when the reply this delivery earned (response / rejectionMessage) went out: never twice, not even on replay */
    repliedAt: integer('replied_at'),
  },
  (t) => [
    index('webhook_due').on(t.endpoint, t.status, t.nextAttemptAt),
    index('webhook_user').on(t.userId, t.createdAt),
    index('webhook_age').on(t.status, t.createdAt),
    index('webhook_sweep').on(t.status, t.nextAttemptAt),
  ],
);

/** Messages a device must send (SMS replies, WhatsApp-on-phone replies), fetched by the device. */
export const deviceOutbox = sqliteTable(
  'device_outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    deviceRef: integer('device_ref')
      .notNull()
      .references(() => devices.id, { onDelete: 'cascade' }),
    channel: text('channel', { enum: CHANNELS }).notNull(),
    to: text('to').notNull(),
    sim: integer('sim'),
    message: text('message').notNull(),
    status: text('status', { enum: DEVICE_OUTBOX_STATUSES }).notNull().default('pending'),
    /** while `sending`: when the device's claim lapses and the message is offered again */
    leaseUntil: integer('lease_until'),
    error: text('error'),
    /** the webhook delivery whose reply created it: one reply per delivery */
    sourceDelivery: text('source_delivery').unique(),
    createdAt: createdAt(),
    updatedAt: integer('updated_at'),
    kind: text('kind', { enum: DEVICE_WORK_KINDS }).notNull().default('reply'),
    /** the API's id for an SMS sent on demand (`sms_…`) or a USSD request (`ussd_…`) */
    publicId: text('public_id').unique(),
    /** the owner (sends and USSD requests; replies go with their device; rows go with the device) */
    userId: integer('user_id'),
    /** a routed send: the device was chosen by the fleet and may be changed (a silent device's work moves) */
    routed: integer('routed', { mode: 'boolean' }).notNull().default(false),
    /** the device it was taken from when its device went silent: that device's late report is refused */
    movedFrom: integer('moved_from'),
    segments: integer('segments'),
    encoding: text('encoding'),
    /** scheduled: not offered to the device before this time */
    notBefore: integer('not_before'),
    /** a USSD request fails if not answered by then */
    deadline: integer('deadline'),
    /** a USSD request's answer */
    response: text('response'),
    sentAt: integer('sent_at'),
    deliveredAt: integer('delivered_at'),
    /** a WhatsApp message this SMS stands in for (fallback): its queue id */
    fallbackOf: text('fallback_of'),
    /** the rule run that sent it (`run_…`): its sms_status events do not trigger rules again */
    ruleRun: text('rule_run'),
  },
  (t) => [
    index('device_outbox_due').on(t.deviceRef, t.status, t.id),
    index('device_outbox_sent_day').on(t.deviceRef, t.sim, t.sentAt),
    // GET /api/sms (an account's sends, newest first), USSD expiry, and retention
    index('device_outbox_user').on(t.userId, t.kind, t.id),
    index('device_outbox_age').on(t.status, t.createdAt),
  ],
);

/** The SIMs a device reported, with an optional daily quota of SMS sent through each. */
export const deviceSims = sqliteTable(
  'device_sims',
  {
    deviceRef: integer('device_ref')
      .notNull()
      .references(() => devices.id, { onDelete: 'cascade' }),
    /** the slot as the phone numbers it (1, 2, …) */
    slot: integer('slot').notNull(),
    carrier: text('carrier'),
    number: text('number'),
    /** SMS a day through this SIM at most (null: no limit); set by the device or the API */
    dailyQuota: integer('daily_quota'),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.deviceRef, t.slot] })],
);

/** Messages sent through a WhatsApp client (API, replies, scheduled), for GET /api/sent-messages. */
export const sentMessages = sqliteTable(
  'sent_messages',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: ownerRef(),
    clientRef: clientRefColumn(),
    /** WhatsApp's id for the message (null until it left) */
    messageId: text('message_id'),
    /** the id the send was answered with (its queue id, also the bridge's send key) */
    queueId: text('queue_id'),
    recipient: text('recipient').notNull(),
    message: text('message').notNull(),
    mediaUrl: text('media_url'),
    status: text('status', { enum: SENT_STATUSES }).notNull(),
    error: text('error'),
    sentAt: integer('sent_at').notNull(),
  },
  (t) => [
    index('sent_user').on(t.userId, t.id),
    uniqueIndex('sent_message_id').on(t.clientRef, t.messageId),
    uniqueIndex('sent_queue_id').on(t.clientRef, t.queueId),
    index('sent_client').on(t.clientRef, t.id),
    index('sent_chat').on(t.clientRef, t.recipient, t.sentAt),
  ],
);

/** Messages a WhatsApp client received, for GET /api/received-messages/{clientId}. */
export const receivedMessages = sqliteTable(
  'received_messages',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    clientRef: clientRefColumn(),
    messageId: text('message_id').notNull(),
    sender: text('sender').notNull(),
    chatId: text('chat_id').notNull(),
    groupId: text('group_id'),
    message: text('message').notNull(),
    type: text('type').notNull(),
    hasMedia: integer('has_media', { mode: 'boolean' }).notNull().default(false),
    mimetype: text('mimetype'),
    filename: text('filename'),
    pushName: text('push_name'),
    receivedAt: integer('received_at').notNull(),
  },
  (t) => [
    uniqueIndex('received_message_id').on(t.clientRef, t.messageId),
    index('received_client').on(t.clientRef, t.id),
    index('received_chat').on(t.clientRef, t.chatId, t.receivedAt),
  ],
);

/** Calls a WhatsApp client rejected. */
export const calls = sqliteTable(
  'calls',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    clientRef: clientRefColumn(),
    callId: text('call_id').notNull(),
    callFrom: text('call_from').notNull(),
    isVideo: integer('is_video', { mode: 'boolean' }).notNull(),
    startTime: integer('start_time').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('calls_call_id').on(t.clientRef, t.callId), index('calls_client').on(t.clientRef, t.id)],
);

/** Idempotency-Key: the first answer to a key is the answer to every repeat of it. */
export const idempotencyKeys = sqliteTable(
  'idempotency_keys',
  {
    userId: ownerRef(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    status: integer('status'),
    response: text('response'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.userId, t.key] }), index('idempotency_age').on(t.createdAt)],
);

/**
 * Per private chat: what the dashboard changes (read up to, muted, pinned) and its summary — the last
 * message and the contact's name — written with each message, so the chat list never scans history.
 */
export const chatState = sqliteTable(
  'chat_state',
  {
    clientRef: clientRefColumn(),
    chatId: text('chat_id').notNull(),
    readUntil: integer('read_until').notNull().default(0),
    muted: integer('muted', { mode: 'boolean' }).notNull().default(false),
    pinned: integer('pinned', { mode: 'boolean' }).notNull().default(false),
    lastBody: text('last_body'),
    lastAt: integer('last_at'),
    lastFromMe: integer('last_from_me', { mode: 'boolean' }),
    name: text('name'),
    /** messages received since the chat was last read (history-sync messages do not count) */
    unread: integer('unread').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.clientRef, t.chatId] }), index('chat_recent').on(t.clientRef, t.lastAt)],
);

/** Reactions to messages, one per sender (an empty emoji removes it). */
export const reactions = sqliteTable(
  'reactions',
  {
    clientRef: clientRefColumn(),
    messageId: text('message_id').notNull(),
    senderId: text('sender_id').notNull(),
    reaction: text('reaction').notNull(),
    at: integer('at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.clientRef, t.messageId, t.senderId] })],
);

/** Scheduled messages: claimed atomically with a lease by the client's Durable Object, sent at the second. */
export const scheduledMessages = sqliteTable(
  'scheduled_messages',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: ownerRef(),
    clientRef: clientRefColumn(),
    /** `+` and digits */
    recipient: text('recipient').notNull(),
    message: text('message').notNull(),
    scheduleTime: integer('schedule_time').notNull(),
    status: text('status', { enum: SCHEDULED_STATUSES }).notNull().default('pending'),
    /** while `sending`: when the claim lapses (a crash mid-send) and the row may be claimed again */
    leaseUntil: integer('lease_until'),
    /** after a failed attempt (bridge or session down): not before this time */
    retryAt: integer('retry_at'),
    attempts: integer('attempts').notNull().default(0),
    failureReason: text('failure_reason'),
    messageId: text('message_id'),
    createdAt: createdAt(),
    sentAt: integer('sent_at'),
  },
  (t) => [
    index('scheduled_due').on(t.status, t.scheduleTime),
    index('scheduled_client_due').on(t.clientRef, t.status, t.scheduleTime),
    index('scheduled_user').on(t.userId, t.id),
  ],
);

/** Bridges and their credentials: each bridge has its own, stored hashed, revocable. */
export const bridges = sqliteTable('bridges', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  bridgeId: text('bridge_id').notNull().unique(),
  /** SHA-256 hex of the bridge's token (`sbb_...`) */
  tokenHash: text('token_hash').notNull().unique(),
  createdAt: createdAt(),
  /** set when the operator revokes it: the token stops working and a live link is closed */
  revokedAt: integer('revoked_at'),
});

/**
 * Which bridge holds each client: a lease with a fencing epoch. The client's `ClientHub` is the authority
 * (it grants and moves leases); this mirror lets a bridge's link learn its clients at hello and lets the
 * fleet be counted (fair share, the admin list) without asking every hub.
 */
export const clientLeases = sqliteTable(
  'client_leases',
  {
    clientRef: integer('client_ref')
      .primaryKey()
      .references((): AnySQLiteColumn => clients.id, { onDelete: 'cascade' }),
    bridgeId: text('bridge_id').notNull(),
    /** grows with every grant: commands and events of an older epoch are refused */
    epoch: integer('epoch').notNull(),
    grantedAt: integer('granted_at').notNull(),
  },
  (t) => [index('client_leases_bridge').on(t.bridgeId)],
);

/** Links of the fleet: when each bridge last showed life to the edge, and whether it is draining. */
export const bridgeLinks = sqliteTable('bridge_links', {
  bridgeId: text('bridge_id').primaryKey(),
  seenAt: integer('seen_at').notNull(),
  /** when its link closed (null while it is open): a closed link's bridge is not given new clients */
  closedAt: integer('closed_at'),
  /** set while the bridge hands its clients over before it exits (SIGTERM): it is given no new ones */
  drainingAt: integer('draining_at'),
  transport: text('transport'),
  version: text('version'),
});

/**
 * The sandbox network's offline queue: messages sent to a sandbox number while no session of it was
 * online (as WhatsApp's servers hold them), handed to its session, oldest first, once it is connected.
 */
export const sandboxOffline = sqliteTable(
  'sandbox_offline',
  {
    id: text('id').primaryKey(),
    clientRef: clientRefColumn(),
    /** the `sandbox.inbound` params, as JSON */
    payload: text('payload').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('sandbox_offline_client').on(t.clientRef, t.createdAt)],
);

/**
 * WhatsApp → SMS fallback of a send (`fallback` in POST /api/send-message): if the WhatsApp message is not
 * delivered by `dueAt` (or fails), its text goes out as an SMS through a device (the client's hub checks).
 */
export const sendFallbacks = sqliteTable(
  'send_fallbacks',
  {
    /** the WhatsApp message's queue id (its messageId) */
    queueId: text('queue_id').primaryKey(),
    clientRef: clientRefColumn(),
    userId: integer('user_id').notNull(),
    to: text('to').notNull(),
    text: text('text').notNull(),
    deviceId: text('device_id'),
    dueAt: integer('due_at').notNull(),
    /** when it was decided: no SMS needed (delivered on WhatsApp), an SMS queued, or the SMS refused */
    doneAt: integer('done_at'),
    /** `whatsapp` (delivered there), `sms` (an SMS went: `smsId`), `none` (not needed: cancelled) or `failed` (`error`) */
    outcome: text('outcome'),
    smsId: text('sms_id'),
    error: text('error'),
  },
  (t) => [index('send_fallbacks_due').on(t.clientRef, t.doneAt, t.dueAt)],
);

/** Automation rules (`/api/rules`): when an event matches the trigger, the actions run in order. */
export const rules = sqliteTable(
  'rules',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** the API's id: `rul_…` */
    publicId: text('public_id').notNull().unique(),
    userId: ownerRef(),
    name: text('name').notNull(),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
    /** rules see an event in ascending position */
    position: integer('position').notNull(),
    /** the trigger's event name (indexed: an event is kept for rules only when a rule names it) */
    event: text('event').notNull(),
    /** JSON: the trigger and the actions as saved (`edge/rules/schema.ts`) */
    trigger: text('trigger').notNull(),
    actions: text('actions').notNull(),
    maxRunsPerMinute: integer('max_runs_per_minute').notNull(),
    /** signs the rule's webhook actions; sealed */
    webhookSecretSealed: text('webhook_secret_sealed'),
    createdAt: createdAt(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('rules_user_event').on(t.userId, t.event, t.position)],
);

/**
 * Events kept for the account's rules, written in the same D1 batch as the change that caused them (an id
 * derived from that cause: never twice), then matched by the account's `RuleRunner` object.
 */
export const ruleEvents = sqliteTable(
  'rule_events',
  {
    /** `evt_…`, derived from the cause */
    id: text('id').primaryKey(),
    userId: ownerRef(),
    event: text('event').notNull(),
    /** the webhook event JSON (`{event, data}`) */
    payload: text('payload').notNull(),
    clientRef: integer('client_ref'),
    deviceRef: integer('device_ref'),
    /** the public client or device id the event came from */
    source: text('source'),
    /** where a reply goes back (JSON), for events with a sender */
    replyRoute: text('reply_route'),
    /** caused by a message a rule sent: rules skip it unless they include rule sends */
    fromRule: integer('from_rule', { mode: 'boolean' }).notNull().default(false),
    /** null until matched against the rules (then the time it was) */
    matchedAt: integer('matched_at'),
    createdAt: createdAt(),
  },
  (t) => [
    index('rule_events_due').on(t.userId, t.matchedAt, t.createdAt),
    index('rule_events_recent').on(t.userId, t.event, t.createdAt),
    index('rule_events_age').on(t.createdAt),
    // the cron sweep's question: which accounts have events nobody matched
    index('rule_events_unmatched').on(t.createdAt).where(sql`matched_at IS NULL`),
  ],
);

/** One rule's run on one event (exactly one per pair: the id is derived from both) and each action's outcome. */
export const ruleRuns = sqliteTable(
  'rule_runs',
  {
    /** `run_…`, derived from the rule and the event */
    id: text('id').primaryKey(),
    ruleRef: integer('rule_ref')
      .notNull()
      .references(() => rules.id, { onDelete: 'cascade' }),
    userId: ownerRef(),
    eventId: text('event_id').notNull(),
    status: text('status', { enum: ['pending', 'done', 'failed', 'skipped'] }).notNull(),
    /** why it was skipped or failed */
    reason: text('reason'),
    /** JSON: one outcome per action */
    steps: text('steps').notNull(),
    /** due time; while it runs it is pushed out by a lease, so a crash takes it up again */
    nextAt: integer('next_at').notNull(),
    createdAt: createdAt(),
    finishedAt: integer('finished_at'),
  },
  (t) => [
    index('rule_runs_rule').on(t.ruleRef, t.createdAt),
    index('rule_runs_due').on(t.userId, t.status, t.nextAt),
    index('rule_runs_age').on(t.createdAt),
    // the rate cap's count (an account's runs of the last minute) and the cron sweep's pending runs
    index('rule_runs_user').on(t.userId, t.createdAt),
    index('rule_runs_pending').on(t.nextAt).where(sql`status = 'pending'`),
  ],
);

/** The account's outgoing mail server for email actions; the password is sealed. */
export const mailSettings = sqliteTable('mail_settings', {
  userId: integer('user_id')
    .primaryKey()
    .references((): AnySQLiteColumn => users.id, { onDelete: 'cascade' }),
  transport: text('transport', { enum: ['smtp', 'cloudflare'] }).notNull(),
  host: text('host'),
  port: integer('port'),
  security: text('security', { enum: ['tls', 'starttls', 'none'] }),
  username: text('username'),
  passwordSealed: text('password_sealed'),
  fromEmail: text('from_email').notNull(),
  fromName: text('from_name'),
  updatedAt: integer('updated_at').notNull(),
});
