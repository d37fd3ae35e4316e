// Baileys `call` events (WACallEvent) → bridge `call` events, for offers only (what gets rejected).
import type { WACallEvent } from '@whiskeysockets/baileys';
import type { BridgeEvent } from '../protocol.ts';
import { fail, ok, type Result } from '../result.ts';
import { isLid, party } from './messages.ts';

/**
 * A live call offer → a `call` event. The caller is its number when known (`callerPn`, which rc14 sets only
 * when the stanza carries `caller_pn` — the transport fills it from its LID mapping otherwise), else its LID.
 * Offers WhatsApp replays after the bridge was offline (`offline`) are long over: not rejected, not answered.
 */
export function normalizeCall(call: WACallEvent): Result<Extract<BridgeEvent, { kind: 'call' }>> {
  if (call.status !== 'offer') return fail(`call ${call.status}, not an offer`);
  if (call.offline) return fail('an offer from while the bridge was offline: the call is over');
  const fromJid = isLid(call.from) && call.callerPn ? call.callerPn : call.from;
  const from = party(fromJid);
  const lid = isLid(call.from) ? party(call.from) : undefined;
  return ok({
    kind: 'call',
    callId: call.id,
    from,
    ...(lid && lid !== from ? { callerLid: lid } : {}),
    isVideo: Boolean(call.isVideo),
    timestamp: call.date instanceof Date && !Number.isNaN(call.date.getTime()) ? call.date.getTime() : Date.now(),
  });
}
