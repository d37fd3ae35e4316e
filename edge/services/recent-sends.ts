// Sends this isolate recorded lately (their sent_messages rows are in D1), by client and WhatsApp's id, with the
// queue id each answered with. The acks that follow a send (within a second or two) find it here instead of in
// D1; one not found here (recorded by another isolate, or long ago) is looked up as before.
import { TtlCache } from '../lib/ttl-cache.ts';

/** An ack comes within seconds of its send; a minute covers a slow one. Bounded: at most 20,000 (about 3 MB). */
const recorded = new TtlCache<string, string>(60_000, 20_000);

export const sendKey = (clientRef: number, messageId: string) => `${clientRef}|${messageId}`;

/** After the rows are in D1 (never before: an ack must not be recorded against a row that is not there). */
export function rememberSends(clientRef: number, sends: { messageId: string; queueId: string }[]): void {
  for (const s of sends) recorded.set(sendKey(clientRef, s.messageId), s.queueId);
}

/** The queue id of a send this isolate recorded lately, if it did. */
export function recentSend(clientRef: number, messageId: string): string | undefined {
  return recorded.get(sendKey(clientRef, messageId));
}
