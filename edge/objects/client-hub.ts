// One Durable Object per WhatsApp client: its send queue (SQLite storage) and the governor that paces
// it, its commands to the bridge holding it, its live state (status, connected number, the current QR
// code), its live sockets and its alarm (queued sends that may go later, scheduled messages coming due).
import { DurableObject } from 'cloudflare:workers';
import { type LiveFrame, type LiveState, sentFrame } from '../../adapters/live.ts';
import { type AuthEntry, chatIdOf, checkResult, type GroupInfo, type Op, type RawBridgeResult } from '../../adapters/protocol.ts';
import { type Bindings, isSandbox } from '../env.ts';
import { dispatchDue } from '../scheduler/dispatch.ts';
import { cancelCause, FALLBACK_CANCEL, runFallbacks } from '../services/fallbacks.ts';
import { linkOf } from '../services/bridge-commands.ts';
import { AuthStore } from '../services/auth-store.ts';
import { LeaseKeeper } from '../services/lease-keeper.ts';
import { afterRateLimit, defaultPolicy, freshState, type Gate, type GovernorPolicy, GovernorPolicySchema, type GovernorState } from '../services/governor.ts';
import { announcePending, CAPPED, drainRound, keepOutcomes, OUTAGE_CODES, RECORD_RETRY_MS, type RoundResult } from '../services/queue-drain.ts';
import { type Settled, settle } from '../services/queue-settle.ts';
import { recordedOutcome } from '../services/send-queue.ts';
import { clientByRef } from '../services/clients.ts';
import { handleBridgeEvent } from '../services/bridge-events.ts';
import { getDb } from '../db/client.ts';
import { credentialAlive } from '../services/credentials.ts';
import { type KnownOutcome, type NewQueued, type QueuedRow, QueueStore } from '../services/queue-store.ts';
import type { CancelResult, ClientHubRpc, EnqueueResult, LeaseMove, QueueView, WatchState } from './contracts.ts';

/** Sends a caller asks for (bounded by the queue's limit), as opposed to those the system makes. */
const ASKED = new Set<string>(['api', 'group', 'chat']);

/** How often a live socket's credential is checked again (on its pings and on what is sent to it). */
export const CREDENTIAL_CHECK_MS = 60_000;
interface LiveAttachment {
  clientRef: number;
  /** `login:<hash>` or `key:<hash>` (services/credentials.ts) */
  credential: string;
  checkedAt: number;
}

const EMPTY: LiveState = { status: null, connectedNumber: null, qrPng: null, updatedAt: null };
/** An alarm stands behind every enqueue: if this object dies mid-drain, the queue is taken up again by then. */
const SAFETY_NET_MS = 30_000;
/** Nothing queued: every item refused (QUEUE_FULL: the API answers 429, Retry-After), with why. */
const refuse = (items: NewQueued[], error: string): EnqueueResult[] => items.map((it) => ({ id: it.id, status: 'refused', code: 'QUEUE_FULL', error }));
/** At most this many of a number's groups are kept for group sends in an outage. */
const MAX_KEPT_GROUPS = 5000;
/** One drain runs this long at most before yielding to its alarm (an object's work should not run unbounded). */
const DRAIN_BUDGET_MS = 20_000;

/** A cancel as it is recorded: the owner's, or one made so its SMS fallback goes instead (the code it was marked with). */
const cancelOf = (row: QueuedRow): Settled => ({ row, kind: 'cancelled', ...cancelCause(row.lastCode), at: Date.now() });

const resultOf = (id: string, s: KnownOutcome | Settled): EnqueueResult =>
  s.kind === 'sent'
    ? { id, status: 'sent', messageId: s.messageId, timestamp: s.timestamp }
    : { id, status: s.kind, code: s.code, error: s.message, timestamp: s.at };

export class ClientHub extends DurableObject<Bindings> implements ClientHubRpc {
  private readonly queue: QueueStore;
  private draining: Promise<void> | null = null;
  private drainAgain = false;
  private heldBy: RoundResult | null = null;
  private readonly waiters = new Map<string, ((r: EnqueueResult) => void)[]>();

  private readonly auth: AuthStore;
  private readonly leases: LeaseKeeper;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.queue = new QueueStore(ctx.storage.sql);
    this.auth = new AuthStore(ctx.storage.sql);
    this.leases = new LeaseKeeper(env, ctx.storage, this.auth, () => this.watchState());
    // nothing is in flight after a restart: what was sending goes again under the same key
    ctx.blockConcurrencyWhile(async () => {
      this.queue.requeueSending();
    });
  }

  // ——— the send queue ———

  async enqueue(clientRef: number, items: NewQueued[], waitMs = 0): Promise<EnqueueResult[]> {
    await this.remember(clientRef);
    const policy = await this.policy();
    // bounded: sends people ask for wait only up to the number's limit; those the system makes (replies,
    // rejection texts, due scheduled messages) up to twice it, so a flood of strangers' calls or messages
    // cannot grow the queue without end
    // an id already queued (a retried request, a cause offered again) is answered as it stands, never refused:
    // only new ones count against the bounds
    const fresh = items.filter((it) => it.minted || (this.queue.stateOf(it.id) === null && !this.queue.leftLately(it.id)));
    const refuseFresh = (error: string) => {
      const refused = new Map(refuse(fresh, error).map((r) => [r.id, r]));
      return Promise.all(items.map((it) => refused.get(it.id) ?? this.standing(it.id)));
    };
    const asked = fresh.filter((it) => ASKED.has(it.send.origin)).length;
    const depth = this.queue.depth();
    // by count and by size: long texts cannot fill the number's storage either
    const chars = this.queue.chars();
    const adding = fresh.reduce((n, it) => n + JSON.stringify(it.send).length, 0);
    const bound = asked ? 1 : 2;
    if ((asked && depth + asked > policy.maxQueued) || depth + fresh.length > 2 * policy.maxQueued || chars + adding > bound * policy.maxQueuedChars) {
      return refuseFresh(`The number's send queue is full (${depth} waiting, ${Math.ceil(chars / 1_048_576)} MiB of text); retry later`);
    }
    const groupSendAt = this.spaceGroupSends(fresh);
    if (fresh.some((it) => it.notBefore >= Date.now() + policy.expiryMs)) {
      return refuseFresh("The number's group sends are spaced so far ahead that this one would expire first; retry later");
    }
    if (groupSendAt !== null) this.groupSendAt = groupSendAt;
    this.queue.add(items, policy.expiryMs);
    // a round takes it up (or, while the number is held, the alarm: by the hold's end or the first expiry)
    await this.wakeBy(Math.min(Date.now() + SAFETY_NET_MS, this.queue.nextExpiryAt() ?? Number.POSITIVE_INFINITY));
    const waits = waitMs > 0 ? items.map((it) => (this.settledNow(it.id) ? this.standing(it.id) : this.outcomeOf(it.id, waitMs))) : [];
    // the governor holds the whole number (a pause, the interval) until its alarm: a round now could send nothing
    if (!this.heldNumberWide(Date.now())) this.kick();
    if (waits.length) return Promise.all(waits);
    return Promise.all(items.map((it) => this.standing(it.id)));
  }

  /**
   * The last round found the whole number held (paused, or its interval not over) until a time still ahead, and
   * its alarm is set for then. A send queued meanwhile cannot go sooner, so it starts no round: with a backlog,
   * each would read the whole queue for nothing. (Held for one message only — the new-contact cap — is not this.)
   */
  private heldNumberWide(now: number): boolean {
    const h = this.heldBy;
    return h !== null && 'heldBy' in h && (h.heldBy === 'paused' || h.heldBy === 'interval') && h.next > now;
  }

  /** A wait for this one ends at once: it left lately, or its outcome is known (only its record waits). */
  private settledNow(id: string): boolean {
    return this.queue.stateOf(id) === null || this.queue.outcomeOf(id) !== null;
  }

  /**
   * A queued send as it stands: its outcome if known (only its record waits), else queued or sending. One that
   * left lately is answered with its outcome as D1 keeps it (a rare path: a cause or request offered again).
   */
  private async standing(id: string): Promise<EnqueueResult> {
    const state = this.queue.stateOf(id);
    if (state === null)
      return (
        (await recordedOutcome(this.env, (await this.storedClientRef()) ?? 0, id).catch((err: unknown) => {
          console.error(`send queue: the outcome of ${id} could not be read; answered queued`, err);
          return null;
        })) ?? { id, status: 'queued' }
      );
    const cancelling = state === 'cancelling' ? this.queue.get(id) : null;
    if (cancelling) return resultOf(id, cancelOf(cancelling));
    const known = state === 'queued' ? this.queue.outcomeOf(id) : null;
    if (known) return resultOf(id, known);
    return { id, status: state === 'sending' ? 'sending' : 'queued' };
  }

  /** when the latest group send may go: the next waits its own anti-spam delay after it */
  private groupSendAt: number | null = null; // null: not read from the queue since this object started

  /**
   * The spec's 2–5 s anti-spam delay before a group send spaces group sends apart: each waits its delay after
   * the one before it (not after its own request), so a burst leaves one every few seconds.
   */
  private spaceGroupSends(items: NewQueued[]): number | null {
    if (!items.some((it) => it.send.origin === 'group')) return null;
    const now = Date.now();
    // after a restart, the latest group send still queued: spacing survives the object's eviction
    const latest = this.groupSendAt ?? this.queue.latestGroupSendAt() ?? 0;
    // nothing waits (all went, or were cancelled): the spacing starts again from now
    let last = latest < now || this.queue.depth() === 0 ? 0 : latest;
    for (const it of items) {
      if (it.send.origin !== 'group') continue;
      const delay = Math.max(0, it.notBefore - now);
      it.notBefore = Math.max(it.notBefore, last + delay);
      last = it.notBefore;
    }
    return last;
  }

  /** A queued send's place, or null once it left the queue (its outcome is in D1 then). */
  async lookup(id: string): Promise<QueuedRow | null> {
    return this.queue.get(id);
  }

  async unrecorded(whatsappIds: string[]): Promise<string[]> {
    return this.queue.unrecorded(whatsappIds);
  }

  async cancel(id: string, forFallback = false): Promise<CancelResult> {
    const row = this.queue.get(id);
    if (!row) return 'missing';
    // cancelled for its fallback already, only its record waiting: the fallback goes on (its SMS is claimed once)
    if (row.outcome?.kind === 'cancelled' && row.outcome.code === FALLBACK_CANCEL && forFallback) return 'cancelled';
    if (row.outcome) return 'settling';
    if (row.state === 'sending') return 'sending';
    if (row.state === 'cancelling') {
      // a cancel begun before (cut short by a restart, or its record still on its way) is finished as it began:
      // a fallback does not take its owner's cancel for its own (no SMS follows that one), nor the owner the
      // fallback's (its SMS goes: the owner hears it is no longer queued)
      if (forFallback !== (row.lastCode === FALLBACK_CANCEL)) return 'settling';
      await this.finishCancels([row]);
      return 'cancelled';
    }
    // marked first, recorded in D1, deleted last: a restart in between finishes the cancel; a record D1 refused
    // is kept as the row's outcome and recorded by a later round (it never goes meanwhile)
    const code = forFallback ? FALLBACK_CANCEL : 'CANCELLED';
    this.queue.markCancelling(id, code);
    await this.finishCancels([{ ...row, state: 'cancelling', lastCode: code }]);
    return 'cancelled';
  }

  async queueView(): Promise<QueueView> {
    const gate = await this.gate();
    const now = Date.now();
    const paused = gate.state.pausedUntil !== null && gate.state.pausedUntil > now;
    const held = this.heldBy && 'heldBy' in this.heldBy && (this.heldBy.until ?? this.heldBy.next) > now ? this.heldBy : null;
    return {
      counts: this.queue.counts(),
      pausedUntil: paused ? gate.state.pausedUntil : null,
      pauseReason: paused ? (gate.state.pauseReason ?? null) : null,
      heldUntil: held ? (held.until ?? held.next) : null,
      heldBy: held?.heldBy ?? null,
      policy: gate.policy,
      override: (await this.ctx.storage.get<Partial<GovernorPolicy>>('policy')) ?? null,
    };
  }

  async setPolicy(override: Partial<GovernorPolicy> | null): Promise<GovernorPolicy> {
    if (override) await this.ctx.storage.put('policy', GovernorPolicySchema.partial().parse(override));
    else await this.ctx.storage.delete('policy');
    this.policyNow = null;
    // a new cap may let through what waited for tomorrow's: they are looked at again now
    this.queue.resume([CAPPED], Date.now());
    this.kick();
    return (await this.gate()).policy;
  }

  private outcomeOf(id: string, waitMs: number): Promise<EnqueueResult> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const left = (this.waiters.get(id) ?? []).filter((w) => w !== done);
        if (left.length) this.waiters.set(id, left);
        else this.waiters.delete(id);
        const row = this.queue.get(id);
        if (row?.outcome) return resolve(resultOf(id, row.outcome)); // known, only its record waits
        if (row?.state === 'cancelling') return resolve(resultOf(id, cancelOf(row)));
        resolve({ id, status: row?.state === 'sending' ? 'sending' : 'queued', ...(row?.lastError ? { error: row.lastError } : {}) });
      }, waitMs);
      const done = (r: EnqueueResult) => {
        clearTimeout(timer);
        resolve(r);
      };
      this.waiters.set(id, [...(this.waiters.get(id) ?? []), done]);
    });
  }

  /** Those waiting for these outcomes hear them (also when only their record in D1 waits). */
  private answerWaiters(settled: Settled[]) {
    for (const s of settled) {
      for (const w of this.waiters.get(s.row.id) ?? []) w(resultOf(s.row.id, s));
      this.waiters.delete(s.row.id);
    }
  }

  private settled(settled: Settled[]) {
    // a failed send with an SMS fallback: the fallback goes now, not at its due time
    if (settled.some((s) => s.kind === 'failed' && s.row.send.fallback))
      this.ctx.waitUntil(this.ctx.storage.put('fallbacks', true).then(() => this.wakeBy(Date.now())));
    this.answerWaiters(settled);
    const live = this.ctx.getWebSockets().length > 0;
    for (const s of settled) {
      if (live && s.kind === 'sent') {
        const { send } = s.row;
        this.broadcast(sentFrame({ chatId: chatIdOf(send.to), body: send.text ?? '', type: send.media?.kind ?? 'chat', hasMedia: Boolean(send.media) }, s));
      }
    }
  }

  /** Records cancels each with the code it was marked with (the owner's, or one made for an SMS fallback). */
  private async finishCancels(rows: QueuedRow[]) {
    const clientRef = await this.storedClientRef();
    if (!clientRef || !rows.length) return;
    const db = getDb(this.env.DB);
    const settled = rows.map(cancelOf);
    try {
      const client = await clientByRef(db, clientRef);
      if (client) await settle(this.env, db, client, settled, (p) => this.ctx.waitUntil(p));
    } catch (err) {
      // kept as each row's outcome (never sent, never expired): the queue's rounds record it, with their backoff
      console.error('send queue: cancels are recorded on a later round', err);
      keepOutcomes({ store: this.queue, onKnown: (s) => this.answerWaiters(s) }, settled, err);
      await this.wakeBy(Date.now() + RECORD_RETRY_MS);
      return;
    }
    this.queue.remove(rows.map((r) => r.id));
    this.settled(settled);
  }

  /** Starts a drain, or asks the running one to look again when it finishes. */
  private kick() {
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = null;
    });
    this.ctx.waitUntil(this.draining);
  }

  private async drain(): Promise<void> {
    const clientRef = await this.storedClientRef();
    if (!clientRef) return;
    const deadline = Date.now() + DRAIN_BUDGET_MS;
    let next: RoundResult['next'] = 'again';
    try {
      // cancels a restart interrupted are finished first (one whose record fails keeps it as its outcome)
      await this.finishCancels(this.queue.cancelling());
      const gate = await this.gate(true);
      do {
        this.drainAgain = false;
        const round = await drainRound({
          env: this.env,
          clientRef,
          store: this.queue,
          gate,
          waitUntil: (p) => this.ctx.waitUntil(p),
          onSettled: (s) => this.settled(s),
          onKnown: (s) => this.answerWaiters(s),
          ask: (op, params) => this.leases.request(clientRef, op, params),
        });
        this.heldBy = round;
        next = round.next;
      } while ((next === 'again' || this.drainAgain) && Date.now() < deadline);
    } catch (err) {
      console.error('send queue drain failed; the alarm takes it up again', err);
      next = Date.now() + 5000;
    }
    if (next === 'again') next = Date.now();
    if (next !== null) await this.wakeBy(next);
  }

  /** The alarm fires by `at` (an earlier alarm stays). */
  private async wakeBy(at: number) {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(Math.max(at, Date.now()));
  }

  private async remember(clientRef: number) {
    if ((await this.storedClientRef()) !== clientRef) {
      await this.ctx.storage.put('clientRef', clientRef);
      this.clientRefSeen = clientRef;
    }
  }

  /** the client this object is for, as stored (read once: only `remember` writes it) */
  private clientRefSeen: number | undefined;
  private async storedClientRef(): Promise<number | undefined> {
    this.clientRefSeen ??= await this.ctx.storage.get<number>('clientRef');
    return this.clientRefSeen;
  }

  /**
   * WhatsApp refused a message after taking it (a 463 nack arrives as an ack): the number pauses as it does when
   * a send is refused. Nacks of one burst while the pause runs do not lengthen it.
   */
  async refusedAfterSend(clientRef: number, reason: string): Promise<void> {
    await this.remember(clientRef);
    const gate = await this.gate();
    const now = Date.now();
    if (gate.state.pausedUntil === null || gate.state.pausedUntil <= now) {
      gate.state = afterRateLimit(gate.policy, gate.state, now, reason);
      await gate.save(gate.state);
      this.drainAgain = true; // a drain in its round sees the pause in its next
    }
    // told once per pause (again here if an earlier telling failed)
    const db = getDb(this.env.DB);
    const client = await clientByRef(db, clientRef);
    if (client) await announcePending(this.env, db, client, gate, (p) => this.ctx.waitUntil(p));
  }

  // ——— the number's groups ———

  async knownGroups(): Promise<GroupInfo[] | null> {
    return (await this.ctx.storage.get<GroupInfo[]>('groups')) ?? null;
  }

  private groupsKept: string | null = null;

  /** Kept when they changed, each with what a send needs (id, name, kind, read-only): bounded, whatever the list. */
  async rememberGroups(groups: GroupInfo[]): Promise<void> {
    const slim: GroupInfo[] = groups.slice(0, MAX_KEPT_GROUPS).map((g) => ({
      id: g.id,
      name: g.name.slice(0, 200),
      description: null,
      type: g.type,
      isReadOnly: g.isReadOnly,
      participants: g.participants,
      owner: null,
      createdAt: null,
    }));
    const json = JSON.stringify(slim);
    if (this.groupsKept === null) this.groupsKept = JSON.stringify((await this.ctx.storage.get<GroupInfo[]>('groups')) ?? null);
    if (json === this.groupsKept) return;
    await this.ctx.storage.put('groups', slim);
    this.groupsKept = json;
  }

  // ——— scheduled messages ———

  /** A scheduled message is due at `at`: the alarm fires then, to the second. */
  /** A send with an SMS fallback: its decision is due at `at` (or sooner, if the send fails). */
  async expectFallback(clientRef: number, at: number): Promise<void> {
    await this.ctx.storage.put('fallbacks', true);
    await this.schedule(clientRef, at);
  }

  async schedule(clientRef: number, at: number): Promise<void> {
    await this.remember(clientRef);
    await this.wakeBy(at);
  }

  override async alarm(): Promise<void> {
    const clientRef = await this.storedClientRef();
    if (!clientRef) return;
    // scheduled messages that came due join the queue (bulk lane) while it has room (the system's bound: twice the
    // number's limit, as for replies); the next one's time is kept
    const { expiryMs, maxQueued, maxQueuedChars } = await this.policy();
    const nextScheduled = await dispatchDue(
      this.env,
      clientRef,
      (items) => this.queue.add(items, expiryMs),
      () => (this.queue.chars() >= 2 * maxQueuedChars ? 0 : 2 * maxQueued - this.queue.depth()),
    ).catch((err: unknown) => {
      console.error('scheduled dispatch failed; retrying shortly', err);
      return Date.now() + 10_000;
    });
    if (nextScheduled !== null) await this.wakeBy(nextScheduled);
    // SMS fallbacks that came due (or whose WhatsApp send failed): looked for only while some wait
    if (await this.ctx.storage.get<boolean>('fallbacks')) {
      const nextFallback = await runFallbacks(this.env, clientRef, (id, forFallback) => this.cancel(id, forFallback)).catch((err: unknown) => {
        console.error('SMS fallbacks failed; retrying shortly', err);
        return Date.now() + 10_000;
      });
      if (nextFallback === null) await this.ctx.storage.delete('fallbacks');
      else await this.wakeBy(nextFallback);
    }
    if (this.draining) await this.draining;
    this.kick();
    await this.draining;
  }

  private gateNow: Gate | null = null;

  /**
   * The number's governor: the policy for its transport (GOVERNOR, then this client's own, override), its state
   * in storage. One object for the life of this instance: a pause set while a drain runs is the drain's too.
   */
  private async gate(fresh = !this.draining): Promise<Gate> {
    // read from storage unless a drain holds it (its state is then the newest, saved as it changes)
    if (!this.gateNow || fresh) {
      const stored = await this.ctx.storage.get<GovernorState>('governor');
      let state = stored ?? freshState((await this.ctx.storage.get<number>('pairedAt')) ?? null);
      const held = this.gateNow?.state;
      // a pause set while this read was under way is not lost
      if (held?.pausedUntil && (state.pausedUntil ?? 0) < held.pausedUntil)
        state = { ...state, pausedUntil: held.pausedUntil, pauseReason: held.pauseReason, pauses: held.pauses, announced: held.announced };
      if (this.gateNow) this.gateNow.state = state;
      else this.gateNow = { policy: await this.policy(), state, save: (s) => this.ctx.storage.put('governor', s) };
    }
    this.gateNow.policy = await this.policy();
    return this.gateNow;
  }

  private policyNow: GovernorPolicy | null = null;

  /** The transport's defaults (GOVERNOR changes them), then this number's own settings; kept in memory until changed. */
  private async policy(): Promise<GovernorPolicy> {
    if (this.policyNow) return this.policyNow;
    const transport = isSandbox(this.env) ? 'sandbox' : 'baileys';
    const own = (await this.ctx.storage.get<Partial<GovernorPolicy>>('policy')) ?? {};
    this.policyNow = { ...defaultPolicy(transport, this.env.GOVERNOR), ...own };
    return this.policyNow;
  }

  // ——— commands and live state ———

  async request(clientRef: number, op: Op, params: Record<string, unknown>): Promise<RawBridgeResult> {
    const raw = await this.leases.request(clientRef, op, params);
    if (op === 'start') {
      const started = checkResult('start', raw);
      if (started.ok) {
        const { status, connectedNumber, qr } = started.result;
        await this.apply({ status, connectedNumber, ...(qr ? { qrPng: qr.png } : {}) });
      }
    }
    return raw;
  }

  /**
   * The governor's warm-up counts from the first time the number is seen connected, and again from when another
   * phone (another connected number) pairs with this client: a new number starts low.
   */
  private async notePaired(connectedNumber: string | null) {
    const [at, number] = [await this.ctx.storage.get<number>('pairedAt'), await this.ctx.storage.get<string>('pairedNumber')];
    const another = at !== undefined && number !== undefined && connectedNumber !== null && number !== connectedNumber;
    if (at === undefined || another) {
      const now = Date.now();
      await this.ctx.storage.put({ pairedAt: now, ...(connectedNumber ? { pairedNumber: connectedNumber } : {}) });
      if (another) {
        // another number: its own day's count, no pause carried over from the old one, warm-up from now
        const gate = await this.gate();
        gate.state = freshState(now);
        this.heldBy = null; // the old number's hold is not the new one's
        await gate.save(gate.state);
        this.queue.resume([CAPPED], now); // the old number's cap held them; the new one's decides
      }
    } else if (number === undefined && connectedNumber) await this.ctx.storage.put('pairedNumber', connectedNumber);
  }

  async apply(update: Partial<LiveState>): Promise<LiveState> {
    const before = await this.state();
    const next: LiveState = { ...before, ...update, updatedAt: Date.now() };
    if (next.status === 'connected') await this.notePaired(next.connectedNumber);
    if (next.status && next.status !== 'pending_auth') {
      next.qrPng = null;
      next.pairingCode = null;
    }
    await this.ctx.storage.put('state', next);
    this.broadcast({ type: 'state', state: next }); // the dashboard and chat page see it without a reload
    // back online: what waited out the outage goes now, not at its next backoff (up to OUTAGE_RETRY_MS away)
    if (next.status === 'connected' && before.status !== 'connected' && this.queue.depth() > 0) {
      this.queue.resume(OUTAGE_CODES, Date.now());
      this.kick();
    }
    return next;
  }

  async state(): Promise<LiveState> {
    return (await this.ctx.storage.get<LiveState>('state')) ?? EMPTY;
  }

  // ——— the lease: which bridge holds the number (services/lease-keeper.ts) ———

  ensureHeld(clientRef: number): Promise<{ bridgeId: string; epoch: number } | null> {
    return this.leases.ensure(clientRef);
  }

  reassert(clientRef: number): Promise<boolean> {
    return this.leases.reassert(clientRef);
  }

  async lease(): Promise<{ bridgeId: string; epoch: number } | null> {
    const now = await this.leases.current();
    return now ? { bridgeId: now.bridgeId, epoch: now.epoch } : null;
  }

  move(clientRef: number, to?: string): Promise<LeaseMove> {
    return this.leases.move(clientRef, to);
  }

  async leaseLost(clientRef: number, bridgeId: string, epoch: number): Promise<void> {
    const next = await this.leases.lost(clientRef, bridgeId, epoch);
    if (next) return; // its new holder connects the number and says so
    // no bridge can take it: the owner hears the number is down and why (a client_status webhook, the live pages)
    const client = await clientByRef(getDb(this.env.DB), clientRef);
    if (!client || client.status === 'logged_out') return;
    const reason = `bridge ${bridgeId} went silent and no other bridge is connected to take this number`;
    const event = { kind: 'status' as const, status: 'disconnected' as const, connectedNumber: client.connectedNumber, reason };
    await handleBridgeEvent(this.env, { t: 'event', id: `lease-lost-${clientRef}-${epoch}`, clientRef, epoch, at: Date.now(), event }, (p) =>
      this.ctx.waitUntil(p),
    );
  }

  storeAuth(epoch: number, entries: AuthEntry[]): Promise<boolean> {
    return this.leases.storeAuth(epoch, entries);
  }

  async forget(clientRef?: number): Promise<void> {
    if (clientRef !== undefined) await this.leases.forget(clientRef);
    for (const ws of this.ctx.getWebSockets()) ws.close(1000, 'client deleted');
    this.queue.clear();
    this.policyNow = null;
    this.gateNow = null;
    this.clientRefSeen = undefined;
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  private watchChain: Promise<unknown> = Promise.resolve();
  private watchSeq = 0;

  /** Whether someone watches now, numbered after every earlier reading (also across restarts: by the clock). */
  private watchState(closing?: WebSocket): WatchState {
    this.watchSeq = Math.max(this.watchSeq + 1, Date.now() * 1000);
    return { on: this.ctx.getWebSockets().some((s) => s !== closing && s.readyState === 1), seq: this.watchSeq };
  }

  /**
   * Tells the holder's link whether someone watches (it pushes live frames only then). One at a time, each
   * telling the state as it is when it runs: a socket closing while another opens can never leave it off.
   * A lease being granted meanwhile tells the new holder its own reading; the link keeps the later one.
   */
  private syncWatch(clientRef: number, closing?: WebSocket): Promise<void> {
    const run = this.watchChain.then(async () => {
      const lease = await this.leases.current();
      if (lease) await linkOf(this.env, lease.bridgeId).watch(clientRef, this.watchState(closing));
    });
    this.watchChain = run.catch(() => undefined);
    return run;
  }

  /** A live-updates subscriber (the request was authenticated by the Worker). Hibernates between messages. */
  override async fetch(request: Request): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return new Response('expected a WebSocket upgrade', { status: 426 });
    const clientRef = Number(request.headers.get('x-client-ref'));
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1]);
    const attachment: LiveAttachment = { clientRef, credential: request.headers.get('x-credential') ?? '', checkedAt: Date.now() };
    pair[1].serializeAttachment(attachment);
    // the bridge link pushes this client's events here only while someone watches
    await this.syncWatch(clientRef);
    const hello: LiveFrame = { type: 'hello', state: await this.state() };
    pair[1].send(JSON.stringify(hello));
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  /** Pushes a frame to every open live socket of this client. */
  broadcast(frame: LiveFrame): number {
    const sockets = this.ctx.getWebSockets();
    const text = JSON.stringify(frame);
    for (const ws of sockets) {
      try {
        ws.send(text);
      } catch {
        // closing: it will be gone from getWebSockets soon
      }
      this.ctx.waitUntil(this.recheck(ws));
    }
    return sockets.length;
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    if (message === 'ping') ws.send('pong');
    await this.recheck(ws);
  }

  /**
   * At most once a minute per socket: is the login or key it was opened with still good? A logout, an expired
   * login or a reset key closes it (4401), so it stops receiving messages and pairing QR codes.
   */
  private async recheck(ws: WebSocket, now = Date.now()): Promise<void> {
    const att = ws.deserializeAttachment() as LiveAttachment | null;
    if (!att || now - att.checkedAt < CREDENTIAL_CHECK_MS) return;
    ws.serializeAttachment({ ...att, checkedAt: now });
    if (await credentialAlive(this.env.DB, att.credential, now)) return;
    try {
      ws.close(4401, 'the login or key this socket was opened with has ended');
    } catch {
      // already closed
    }
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    try {
      ws.close(code === 1005 ? 1000 : code, 'bye');
    } catch {
      // already closed
    }
    const clientRef = (ws.deserializeAttachment() as { clientRef?: number } | null)?.clientRef;
    if (clientRef) await this.syncWatch(clientRef, ws);
  }
}
