// What the bridge does for each operation the edge asks of it: one handler per op of the contract
// (adapters/protocol.ts), each given params already checked against the op's schema.
import { OPS, type Op, type OpInput, type OpResult, type RequestFrame, type SessionSpec } from '../adapters/protocol.ts';
import type { Sessions } from './sessions.ts';
import { SessionError } from './transports/transport.ts';

type Handlers = { [O in Op]: (clientRef: number, params: OpInput<O>) => Promise<OpResult<O>> };

export function commandHandlers(sessions: Sessions, specs: Map<number, SessionSpec>): Handlers {
  /** The client as the edge last described it (welcome), or as this request names it. */
  const spec = (clientRef: number, p: { clientId: string; phoneNumber: string }): SessionSpec => {
    const known = specs.get(clientRef) ?? { clientRef, clientId: p.clientId, phoneNumber: p.phoneNumber };
    specs.set(clientRef, known);
    return known;
  };
  return {
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
export function runRequest<O extends Op>(handlers: Handlers, frame: RequestFrame & { op: O }): Promise<OpResult<O>> {
  const parsed = OPS[frame.op].params.safeParse(frame.params);
  if (!parsed.success) return Promise.reject(new SessionError('VALIDATION_ERROR', `bad ${frame.op} parameters`));
  const handler = handlers[frame.op] as (clientRef: number, params: unknown) => Promise<OpResult<O>>;
  return handler(frame.clientRef, parsed.data);
}
