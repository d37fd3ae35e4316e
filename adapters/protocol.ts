// The one contract between edge and bridge: the frames on their WebSocket link, the events a session
// reports, and every operation the edge may ask of a bridge as a map op → zod params + zod result.
// Both sides validate what they receive against it; neither imports the other.
import { z } from '@hono/zod-openapi';
import { MediaKindSchema, SessionStatusSchema, TransportSchema } from './vocabulary.ts';

/** Values are sealed by the bridges (BRIDGE_SEAL_KEY, shared by the fleet): the edge keeps them and never reads them. */
export const MAX_AUTH_VALUE_CHARS = 256 * 1024;
/** One entry of a session's sealed auth state (Baileys creds and signal keys; the sandbox's pairing): null deletes it. */
export const AuthEntrySchema = z.object({ type: z.string().min(1).max(64), id: z.string().max(256), value: z.string().max(MAX_AUTH_VALUE_CHARS).nullable() });
export type AuthEntry = z.infer<typeof AuthEntrySchema>;

/** What a session reports; each one travels in an `event` frame with an id the edge acknowledges. */
export const BridgeEventSchema = z.discriminatedUnion('kind', [
  /** the session's auth state changed: the edge keeps it, so another bridge can resume the session */
  z.object({ kind: z.literal('auth'), entries: z.array(AuthEntrySchema).min(1).max(1000) }),
  z.object({ kind: z.literal('qr'), qr: z.string(), png: z.string().describe('base64 PNG of the QR code') }),
  /** pairing by phone: the 8-character code to type on the phone (WhatsApp → Linked devices → Link with phone number) */
  z.object({ kind: z.literal('pairing_code'), code: z.string().regex(/^[A-Z0-9]{8}$/) }),
  z.object({ kind: z.literal('status'), status: SessionStatusSchema, connectedNumber: z.string().nullable(), reason: z.string().optional() }),
  z.object({
    kind: z.literal('message'),
    messageId: z.string(),
    /** sender's number (digits), or `<lid>@lid` for a contact WhatsApp addresses by LID whose number is not known */
    from: z.string(),
    /** the chat: `<number>@c.us`, `<lid>@lid`, `<id>@g.us` or `<id>@newsletter` */
    chatId: z.string(),
    /** the sender's LID (`…@lid`) beside its number, when WhatsApp addressed it by LID and the number is known */
    senderLid: z.string().optional(),
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
  z.object({
    kind: z.literal('ack'),
    messageId: z.string(),
    to: z.string(),
    ack: z.number().int().min(-1).max(4),
    /** with ack −1: WhatsApp's error code for the refusal ("463": the number may not reach out to new contacts now) */
    error: z.string().max(64).optional(),
  }),
  z.object({
    kind: z.literal('call'),
    callId: z.string(),
    from: z.string(),
    isVideo: z.boolean(),
    timestamp: z.number().int(),
    /** the caller's LID beside its number, when known */
    callerLid: z.string().optional(),
  }),
  /** someone reacted to a message (an empty emoji takes the reaction back) */
  z.object({ kind: z.literal('reaction'), messageId: z.string(), from: z.string(), emoji: z.string() }),
]);
export type BridgeEvent = z.infer<typeof BridgeEventSchema>;

/** A client a bridge holds: its internal reference and what a session needs to start. */
export const SessionSpecSchema = z.object({ clientRef: z.number().int(), clientId: z.string(), phoneNumber: z.string() });
/** A client the bridge holds under a lease: the fencing epoch it holds it at, and its auth state as the edge keeps it. */
export const HeldSessionSchema = SessionSpecSchema.extend({ epoch: z.number().int().min(1), auth: z.array(AuthEntrySchema).optional() });
export type HeldSession = z.infer<typeof HeldSessionSchema>;
export type SessionSpec = z.infer<typeof SessionSpecSchema>;

const SessionIdentity = z.object({ clientId: z.string(), phoneNumber: z.string() });
/** How a number that is not paired yet pairs: a QR code to scan, or a code to type on the phone. */
export const PairingMethodSchema = z.enum(['qr', 'code']);
export type PairingMethod = z.infer<typeof PairingMethodSchema>;

export const SendParamsSchema = z.object({
  to: z.string(),
  /** makes the send idempotent on the bridge: a repeat with the same key answers the first result */
  key: z.string().max(128).optional(),
  text: z.string().optional(),
  media: z.object({ url: z.string(), kind: MediaKindSchema, mimetype: z.string().optional(), filename: z.string().optional() }).optional(),
});
export type SendParams = z.infer<typeof SendParamsSchema>;

/** Refusals a bridge gives before a message can have left (anything else may have sent it). */
export const NOT_SENT_CODES = [
  'SESSION_NOT_CONNECTED',
  'SESSION_NOT_FOUND',
  'VALIDATION_ERROR',
  'MEDIA_ERROR',
  'GROUP_NOT_FOUND',
  'READ_ONLY_CHAT',
  'NOT_SUPPORTED',
  'NOT_HOLDER',
  // WhatsApp refused to relay it (463, rate-overlimit): the same key goes again once the pause is over
  'WHATSAPP_RATE_LIMIT',
] as const;

/** A message that left: WhatsApp's id for it and when. */
export const SentSchema = z.object({ messageId: z.string(), timestamp: z.number() });
export type Sent = z.infer<typeof SentSchema>;

/** One item of a batch answers for itself. */
export const SendOutcomeSchema = z.union([
  SentSchema.extend({ ok: z.literal(true) }),
  z.object({ ok: z.literal(false), code: z.string(), message: z.string() }),
]);
export type SendOutcome = z.infer<typeof SendOutcomeSchema>;

export const QrSchema = z.object({ qr: z.string(), png: z.string() });

/** What `start` answers: connected, or waiting for a QR scan. */
export const StartResultSchema = z.object({
  status: SessionStatusSchema,
  connectedNumber: z.string().nullable(),
  qr: QrSchema.optional(),
  /** with `pairingMethod: "code"` while pairing */
  pairingCode: z.string().optional(),
});
export type StartResult = z.infer<typeof StartResultSchema>;

/**
 * Received media travels to the edge base64 in one frame: files above this size are refused
 * (MEDIA_TOO_LARGE) rather than closing a link every client of the bridge shares.
 */
export const MAX_LINK_MEDIA_BYTES = 5 * 1024 * 1024;

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

/** A message the simulated network received from a client (`GET /api/sandbox/{clientId}/outbox`). */
export const SandboxSentSchema = z.object({ id: z.string(), to: z.string(), body: z.string(), type: z.string(), timestamp: z.number().int() });

const Empty = z.object({}).default({});

/** Every operation the edge may ask of the bridge holding a client: params in, result out. */
export const OPS = {
  /** the edge grants the bridge a lease on this client (the frame's epoch): it holds the session from now on */
  assign: { params: HeldSessionSchema, result: z.object({ held: z.literal(true) }) },
  /** the lease ends (a move or a drain): the bridge closes the socket at once and holds the client no more */
  release: { params: Empty, result: z.object({ released: z.boolean() }) },
  start: { params: SessionIdentity.extend({ pairingMethod: PairingMethodSchema.optional() }), result: StartResultSchema },
  stop: { params: Empty, result: z.null() },
  logout: { params: SessionIdentity, result: z.object({ loggedOut: z.literal(true) }) },
  send: { params: SendParamsSchema, result: SentSchema },
  /** many text sends in one request (scheduled dispatch): answered item by item, in order */
  sendBatch: { params: z.object({ items: z.array(SendParamsSchema).min(1).max(500) }), result: z.array(SendOutcomeSchema) },
  groups: { params: Empty, result: z.array(GroupInfoSchema) },
  /** profile pictures of chats, groups and channels: a URL, or null when there is none (or none may be seen) */
  pictures: {
    params: z.object({ chatIds: z.array(z.string().max(128)).min(1).max(100) }),
    result: z.array(z.object({ chatId: z.string(), url: z.string().nullable() })),
  },
  media: {
    params: z.object({ messageId: z.string() }),
    result: z.object({ mimetype: z.string(), filename: z.string().nullable(), data: z.string().describe('base64') }),
  },
  read: { params: z.object({ chatId: z.string(), messageIds: z.array(z.string()) }), result: z.null() },
  'sandbox.scan': { params: Empty, result: z.object({ status: SessionStatusSchema, connectedNumber: z.string().nullable() }) },
  /** the simulated phone types the pairing code */
  'sandbox.pair': { params: z.object({ code: z.string() }), result: z.object({ status: SessionStatusSchema, connectedNumber: z.string().nullable() }) },
  'sandbox.inbound': {
    params: z.object({
      from: z.string(),
      message: z.string().optional(),
      mediaUrl: z.string().optional(),
      groupId: z.string().optional(),
      /** set when the message waited in the sandbox network's offline queue: its id and when it was sent (ms) */
      id: z.string().max(64).optional(),
      sentAt: z.number().int().optional(),
    }),
    result: SentSchema,
  },
  'sandbox.call': {
    params: z.object({ from: z.string(), isVideo: z.boolean().optional() }),
    result: z.object({ callId: z.string(), rejected: z.boolean(), timestamp: z.number().int() }),
  },
  'sandbox.react': { params: z.object({ from: z.string(), messageId: z.string(), emoji: z.string() }), result: z.object({ reacted: z.boolean() }) },
  'sandbox.outbox': { params: Empty, result: z.array(SandboxSentSchema) },
} as const satisfies Record<string, { params: z.ZodType; result: z.ZodType }>;

export type Op = keyof typeof OPS;
export const OpSchema = z.enum(Object.keys(OPS) as [Op, ...Op[]]);
/** What a caller passes for `op` (defaults may be left out). */
export type OpParams<O extends Op> = z.input<(typeof OPS)[O]['params']>;
/** What the bridge handler receives for `op`, validated. */
export type OpInput<O extends Op> = z.output<(typeof OPS)[O]['params']>;
export type OpResult<O extends Op> = z.output<(typeof OPS)[O]['result']>;

export type BridgeFailure = { ok: false; code: string; message: string };
/** A bridge's answer as the edge sees it, typed by the op asked. */
export type BridgeResult<O extends Op> = { ok: true; result: OpResult<O> } | BridgeFailure;
/** The same answer before it is checked against the op's result schema. */
export type RawBridgeResult = { ok: true; result: unknown } | BridgeFailure;

/** Checks a bridge's answer against the op's schema: a malformed answer is a failure, never a cast. */
export function checkResult<O extends Op>(op: O, raw: RawBridgeResult): BridgeResult<O> {
  if (!raw.ok) return raw;
  const parsed = OPS[op].result.safeParse(raw.result);
  if (!parsed.success) return { ok: false, code: 'BRIDGE_PROTOCOL_ERROR', message: `The bridge answered ${op} with an unexpected shape` };
  return { ok: true, result: parsed.data as OpResult<O> };
}

export const EventFrameSchema = z.object({
  t: z.literal('event'),
  id: z.string().min(8).max(64),
  clientRef: z.number().int(),
  /** the lease the bridge held the client under when the event happened */
  epoch: z.number().int().min(0),
  at: z.number().int(),
  event: BridgeEventSchema,
});

/**
 * Lease timing, shared by both sides. The bridge pings every HEARTBEAT_MS. A bridge that hears nothing
 * from the edge for FENCE_MS stops every session it holds; the edge gives a silent bridge's clients to
 * another only after LEASE_MS of silence, so the old socket is closed before a new one opens.
 */
export const HEARTBEAT_MS = 5_000;
/** How soon a bridge offers again an ack the edge held (`later` in its ack frame). */
export const HELD_RETRY_MS = 1_000;
/** An ack is named in `later` only while it is this young: an ack with no send record past that (a message sent from the phone) waits for the usual re-send. */
export const HELD_RETRY_WINDOW_MS = 5_000;
export const FENCE_MS = 10_000;
export const LEASE_MS = 20_000;

/** How many events one `events` frame carries at most (the bridge gathers them for a few ms). */
export const MAX_EVENTS_PER_FRAME = 100;

export const BridgeFrameSchema = z.discriminatedUnion('t', [
  z.object({
    t: z.literal('hello'),
    bridgeId: z.string().min(1).max(64),
    transport: TransportSchema,
    sessions: z.number().int(),
    /** the bridge's software version (its package.json) */
    version: z.string().max(64).optional(),
  }),
  EventFrameSchema,
  /** several events in one frame (the edge records a client's run of acks in one D1 batch) */
  z.object({ t: z.literal('events'), events: z.array(EventFrameSchema).min(1).max(MAX_EVENTS_PER_FRAME) }),
  /** the answer to a `req`: `result` when ok, else `code` and `message` */
  /** SIGTERM: hand my clients to other bridges; the edge answers `drained` */
  z.object({ t: z.literal('drain') }),
  z.object({
    t: z.literal('res'),
    id: z.string(),
    ok: z.boolean(),
    result: z.unknown().optional(),
    code: z.string().optional(),
    message: z.string().optional(),
  }),
]);
export type BridgeFrame = z.infer<typeof BridgeFrameSchema>;
export type EventFrame = Extract<BridgeFrame, { t: 'event' }>;

export const EdgeFrameSchema = z.discriminatedUnion('t', [
  /** after hello: the clients this bridge holds, each with its lease epoch (it stops any other) */
  z.object({ t: z.literal('welcome'), sessions: z.array(HeldSessionSchema) }),
  /** after drain: its clients are handed over (or released, with no other bridge to take them) */
  z.object({ t: z.literal('drained'), moved: z.number().int(), released: z.number().int() }),
  /**
   * events recorded (`ids`); `later`: acks held for a send whose record is still being written — the bridge offers
   * them again in HELD_RETRY_MS rather than at its usual re-send of what was never acknowledged
   */
  z.object({ t: z.literal('ack'), ids: z.array(z.string()), later: z.array(z.string()).max(10_000).optional() }),
  /** events the edge will never take (not this bridge's client): the bridge drops them */
  z.object({ t: z.literal('reject'), ids: z.array(z.string()), reason: z.string() }),
  /** an operation on a client, under the lease `epoch`: a bridge that does not hold the client at that epoch refuses it */
  z.object({
    t: z.literal('req'),
    id: z.string(),
    clientRef: z.number().int(),
    epoch: z.number().int(),
    op: OpSchema,
    params: z.record(z.string(), z.unknown()).default({}),
  }),
]);
export type EdgeFrame = z.infer<typeof EdgeFrameSchema>;
export type RequestFrame = Extract<EdgeFrame, { t: 'req' }>;

/** `12345@c.us` / `12345@s.whatsapp.net` / `+12345` → `12345`. */
export const toNumber = (jidOrNumber: string) => jidOrNumber.replace(/^\+/, '').replace(/[:@].*$/, '');

export const isGroupId = (id: string) => /@g\.us$/.test(id);
export const isChannelId = (id: string) => /@newsletter$/.test(id);
/** A send's chat id: a bare number is a private chat. */
export const chatIdOf = (to: string) => (to.includes('@') ? to : `${to}@c.us`);
