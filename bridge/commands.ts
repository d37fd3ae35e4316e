// What the bridge does for each operation the edge asks of it: one handler per op of the contract
// (adapters/protocol.ts), each given params already checked against the op's schema.
import { type AuthEntry, OPS, type Op, type OpInput, type OpResult, type RequestFrame, type SessionSpec } from '../adapters/protocol.ts';
import type { Leases } from './leases.ts';
import type { Sessions } from './sessions.ts';
import { SessionError } from './transports/transport.ts';

type Handlers = { [O in Op]: (clientRef: number, params: OpInput<O>) => Promise<OpResult<O>> };

export interface HandlerDeps {
  sessions: Sessions;
  specs: Map<number, SessionSpec>;
  leases: Leases;
  /** the session's auth state as the edge keeps it: replaces this bridge's copy before the session starts */
  restoreAuth(clientRef: number, entries: AuthEntry[], epoch: number): void;
  /** the lease ended: this bridge's copy of the auth state goes */
  forgetAuth(clientRef: number): void;
}

export function commandHandlers({ sessions, specs, leases, restoreAuth, forgetAuth }: HandlerDeps): Handlers {
  /** The client as the edge last described it (welcome), or as this request names it. */
  const spec = (clientRef: number, p: { clientId: string; phoneNumber: string }): SessionSpec => {
    const known = specs.get(clientRef) ?? { clientRef, clientId: p.clientId, phoneNumber: p.phoneNumber };
    specs.set(clientRef, known);
    return known;
  };
  return {
    assign: async (ref, { epoch, auth, ...spec }) => {
      // a repeat of the grant held now (with its session running) changes nothing; an older one is refused
      if (leases.epochOf(ref) === epoch && sessions.has(ref)) return { held: true as const };
      if (leases.epochOf(ref) > epoch) throw new SessionError('NOT_HOLDER', `client ${ref} is held at a newer lease`);
      if (sessions.has(ref)) {
        await sessions.stop(ref);
        // fenced or moved while the old session closed: this grant is stale
        if (leases.epochOf(ref) > epoch) throw new SessionError('NOT_HOLDER', `client ${ref} is held at a newer lease`);
      }
      // restored before any wait when nothing runs (a failover grants many at once: each grant's auth
      // state is written and let go before the next frame is read); the lease is taken only once it is
      restoreAuth(ref, auth ?? [], epoch);
      leases.grant(ref, epoch);
      specs.set(ref, spec);
      sessions.start(spec).catch((err: Error) => console.error(`session ${spec.clientId} failed to start`, err));
      return { held: true as const };
    },
    release: async (ref) => {
      await sessions.stop(ref);
      leases.end(ref);
      specs.delete(ref);
      // the edge has the auth state now (sent before this answer): a stale copy here must never come back
      forgetAuth(ref);
      return { released: true };
    },
    start: (ref, p) => sessions.start(spec(ref, p), { pairingMethod: p.pairingMethod }),
    stop: async (ref) => {
      await sessions.stop(ref);
      return null;
    },
    logout: async (ref, p) => {
      await sessions.logout(spec(ref, p));
      specs.delete(ref);
      return { loggedOut: true };
    },
    send: (ref, p) => sessions.send(ref, p),
    sendBatch: (ref, p) => sessions.sendBatch(ref, p),
    groups: (ref) => sessions.groups(ref),
    pictures: (ref, { chatIds }) => sessions.pictures(ref, chatIds),
    media: async (ref, { messageId }) => {
      const media = await sessions.media(ref, messageId);
      return { mimetype: media.mimetype, filename: media.filename, data: Buffer.from(media.data).toString('base64') };
    },
    read: async (ref, { chatId, messageIds }) => {
      await sessions.read(ref, chatId, messageIds);
      return null;
    },
    'sandbox.scan': (ref) => sessions.sandbox(ref, (s) => s.scan()),
    'sandbox.pair': (ref, p) => sessions.sandbox(ref, (s) => s.pair(p)),
    'sandbox.inbound': (ref, p) => sessions.sandbox(ref, (s) => s.inbound(p)),
    'sandbox.call': (ref, p) => sessions.sandbox(ref, (s) => s.call(p)),
    'sandbox.react': (ref, p) => sessions.sandbox(ref, (s) => s.react(p)),
    'sandbox.outbox': (ref) => sessions.sandbox(ref, (s) => s.sent()),
  };
}

/** Runs one request frame: its params are checked against the op's schema first. */
export function runRequest<O extends Op>(handlers: Handlers, leases: Leases, frame: RequestFrame & { op: O }): Promise<OpResult<O>> {
  // every operation but a grant needs the lease it names; a grant must name the frame's epoch
  try {
    if (frame.op === 'assign') {
      if ((frame.params as { epoch?: unknown }).epoch !== frame.epoch) throw new SessionError('VALIDATION_ERROR', 'assign: epoch differs from the frame');
    } else leases.check(frame.clientRef, frame.epoch);
  } catch (err) {
    return Promise.reject(err);
  }
  const parsed = OPS[frame.op].params.safeParse(frame.params);
  if (!parsed.success) return Promise.reject(new SessionError('VALIDATION_ERROR', `bad ${frame.op} parameters`));
  const handler = handlers[frame.op] as (clientRef: number, params: unknown) => Promise<OpResult<O>>;
  return handler(frame.clientRef, parsed.data);
}
