// The send governor of one number: how fast and to how many new contacts it may send, so a real
// WhatsApp number is not restricted for spam. Pure decisions over a small state the number's Durable
// Object keeps; nothing is ever dropped — a send is only delayed (or, past its expiry, failed by the caller).
import { z } from '@hono/zod-openapi';
import type { TransportName } from '../../adapters/vocabulary.ts';

export const GovernorPolicySchema = z.object({
  /** least time between two sends of this number */
  minIntervalMs: z.number().int().min(0).max(3_600_000),
  /** up to this much more, at random, on top of the interval */
  jitterMs: z.number().int().min(0).max(3_600_000),
  /** first messages a day to numbers that never wrote to this one; null: no cap */
  newContactsPerDay: z.number().int().min(0).nullable(),
  /** a newly paired number starts lower: the cap grows from `startPerDay` to the full cap over `days` */
  warmup: z.object({ days: z.number().int().min(1).max(90), startPerDay: z.number().int().min(0) }).nullable(),
  /** after WhatsApp's rate/reach-out refusal (463): the first pause, doubled on each repeat up to maxPauseMs */
  pauseMs: z
    .number()
    .int()
    .min(1000)
    .max(7 * 86_400_000),
  maxPauseMs: z
    .number()
    .int()
    .min(1000)
    .max(7 * 86_400_000),
  /** a queued message not sent within this long fails (EXPIRED): an outage or a pause is waited out until then */
  expiryMs: z
    .number()
    .int()
    .min(60_000)
    .max(7 * 86_400_000),
  /** at most this many messages wait in the number's queue; an API send beyond it is refused (429 QUEUE_FULL) */
  maxQueued: z.number().int().min(1).max(1_000_000),
  /** and at most this much message text waits (characters of the stored sends; replies and the system's texts up to twice it) */
  maxQueuedChars: z.number().int().min(262_144).max(1_073_741_824),
});
export type GovernorPolicy = z.infer<typeof GovernorPolicySchema>;

/** A real number is protected by default; the sandbox is not paced unless a policy says so. */
export const DEFAULT_POLICIES: Record<TransportName, GovernorPolicy> = {
  baileys: {
    minIntervalMs: 3000,
    jitterMs: 4000,
    newContactsPerDay: 50,
    warmup: { days: 7, startPerDay: 10 },
    pauseMs: 15 * 60_000,
    maxPauseMs: 24 * 3_600_000,
    expiryMs: 24 * 3_600_000,
    maxQueued: 10_000,
    maxQueuedChars: 64 * 1_048_576,
  },
  sandbox: {
    minIntervalMs: 0,
    jitterMs: 0,
    newContactsPerDay: null,
    warmup: null,
    pauseMs: 60_000,
    maxPauseMs: 3_600_000,
    expiryMs: 24 * 3_600_000,
    maxQueued: 10_000,
    maxQueuedChars: 64 * 1_048_576,
  },
};

/** The defaults for a transport, overridden field by field by the GOVERNOR start variable (JSON). */
export function defaultPolicy(transport: TransportName, override?: string): GovernorPolicy {
  const base = DEFAULT_POLICIES[transport];
  if (!override?.trim()) return base;
  try {
    const parsed = GovernorPolicySchema.partial().safeParse(JSON.parse(override));
    if (parsed.success) return { ...base, ...parsed.data };
  } catch {
    // reported below
  }
  console.error('GOVERNOR is not valid JSON of the governor policy; using the defaults');
  return base;
}

/** The number's governor, as its Durable Object keeps it: the policy and state it paces sends by. */
export interface Gate {
  policy: GovernorPolicy;
  state: GovernorState;
  save(state: GovernorState): Promise<void>;
}

/** Whether the policy paces sends at all (the sandbox's default does not). */
export const paced = (p: GovernorPolicy) => p.minIntervalMs + p.jitterMs > 0 || p.newContactsPerDay !== null;

export interface GovernorState {
  lastSentAt: number | null;
  /** the earliest the next send may leave (interval and jitter, rolled once after each send) */
  nextAt: number | null;
  /** UTC day of `newContacts` */
  day: string;
  newContacts: number;
  /** when the number was paired (warm-up counts from here) */
  pairedAt: number | null;
  pausedUntil: number | null;
  /** why the number is paused (WhatsApp's words) */
  pauseReason?: string | null;
  /** false until the owner was told of the pause (a client_status webhook); absent in older states: told */
  announced?: boolean;
  pauses: number;
}

export const freshState = (pairedAt: number | null = null): GovernorState => ({
  lastSentAt: null,
  nextAt: null,
  day: '',
  newContacts: 0,
  pairedAt,
  pausedUntil: null,
  pauses: 0,
});

const DAY_MS = 86_400_000;
const dayOf = (at: number) => new Date(at).toISOString().slice(0, 10);
const nextDayStart = (at: number) => Math.floor(at / DAY_MS) * DAY_MS + DAY_MS;

/** Today's cap on first messages to new contacts, warm-up included (null: none). */
export function newContactCap(policy: GovernorPolicy, state: GovernorState, now: number): number | null {
  if (policy.newContactsPerDay === null) return null;
  if (!policy.warmup || state.pairedAt === null) return policy.newContactsPerDay;
  const day = Math.floor((now - state.pairedAt) / DAY_MS);
  if (day >= policy.warmup.days) return policy.newContactsPerDay;
  const { startPerDay, days } = policy.warmup;
  return Math.min(policy.newContactsPerDay, Math.round(startPerDay + ((policy.newContactsPerDay - startPerDay) * day) / days));
}

export type Decision = { go: true } | { go: false; at: number; reason: 'paused' | 'interval' | 'new_contact_cap' };

/** Whether a send may leave now, and if not, when to look again and why. */
export function decide(policy: GovernorPolicy, state: GovernorState, send: { newContact: boolean }, now: number): Decision {
  if (state.pausedUntil !== null && now < state.pausedUntil) return { go: false, at: state.pausedUntil, reason: 'paused' };
  if (state.nextAt !== null && now < state.nextAt) return { go: false, at: state.nextAt, reason: 'interval' };
  if (send.newContact) {
    const cap = newContactCap(policy, state, now);
    const used = state.day === dayOf(now) ? state.newContacts : 0;
    if (cap !== null && used >= cap) return { go: false, at: nextDayStart(now), reason: 'new_contact_cap' };
  }
  return { go: true };
}

/** The state after a send left: the next may leave after the interval plus a jitter rolled now. */
export function afterSend(policy: GovernorPolicy, state: GovernorState, send: { newContact: boolean }, now: number, random = Math.random): GovernorState {
  const day = dayOf(now);
  const newContacts = (state.day === day ? state.newContacts : 0) + (send.newContact ? 1 : 0);
  const nextAt = now + policy.minIntervalMs + Math.floor(random() * (policy.jitterMs + 1));
  // a pause set while this send was in flight (a 463 nack of an earlier one) stays
  if (state.pausedUntil !== null && state.pausedUntil > now) return { ...state, lastSentAt: now, nextAt, day, newContacts };
  return { ...state, lastSentAt: now, nextAt, day, newContacts, pauses: 0, pausedUntil: null, pauseReason: null };
}

/** The state after WhatsApp refused for sending too fast or to too many new contacts (463). */
export function afterRateLimit(policy: GovernorPolicy, state: GovernorState, now: number, reason: string | null = null): GovernorState {
  const pause = Math.min(policy.maxPauseMs, policy.pauseMs * 2 ** state.pauses);
  return { ...state, pausedUntil: now + pause, pauseReason: reason, pauses: state.pauses + 1, announced: false };
}
