// Baileys `call` events (WACallEvent) → bridge `call` events, for offers only (what gets rejected).
import type { WACallEvent } from '@whiskeysockets/baileys';
import type { BridgeEvent } from '../protocol.ts';
import { fail, ok, type Result } from '../result.ts';

export function normalizeCall(call: WACallEvent): Result<Extract<BridgeEvent, { kind: 'call' }>> {
  if (call.status !== 'offer') return fail(`call ${call.status}, not an offer`);
  const fromJid = call.from.endsWith('@lid') && call.callerPn ? call.callerPn : call.from;
  return ok({
    kind: 'call',
    callId: call.id,
    from: fromJid.replace(/[:@].*$/, ''),
    isVideo: Boolean(call.isVideo),
    timestamp: call.date instanceof Date && !Number.isNaN(call.date.getTime()) ? call.date.getTime() : Date.now(),
  });
}
