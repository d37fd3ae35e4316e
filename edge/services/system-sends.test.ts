// The texts the system sends for a client (a call's rejection text, a webhook's reply): queued before their
// cause is acknowledged, under an id derived from it, and a refusal recorded as the message's outcome.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REJECTION } from '../../adapters/events.ts';
import { connectFakeBridge } from '../test/fake-bridge.ts';
import { addClient, call, newUser, refOf, until } from '../test/helpers.ts';

const callEvent = (clientRef: number, callId: string, from: string) => ({
  t: 'event',
  id: `evt-${callId}`,
  clientRef,
  at: Date.now(),
  event: { kind: 'call', callId, from, isVideo: false, timestamp: Date.now() },
});

async function setup() {
  const bridge = await connectFakeBridge();
  const u = await newUser();
  const { clientId } = await addClient(u.apiKey);
  const ref = await refOf(clientId);
  const sends = () => bridge.frames.filter((f) => f.t === 'req' && (f.op === 'send' || f.op === 'sendBatch')).flatMap((f) => f.params.items ?? [f.params]);
  return { bridge, u, clientId, ref, sends };
}

describe('system sends', () => {
  it('a call whose record landed before a crash (the event offered again) still gets its rejection text, once', async () => {
    const { bridge, ref, sends } = await setup();
    // the first try wrote the call row, then the Worker died before the text was queued
    await env.DB.prepare('INSERT INTO calls (client_ref, call_id, call_from, is_video, start_time) VALUES (?, ?, ?, 0, ?)')
      .bind(ref, 'CALL-CRASHED-1', '15550000031@c.us', Date.now())
      .run();
    bridge.ws.send(JSON.stringify(callEvent(ref, 'CALL-CRASHED-1', '15550000031')));
    await until('the rejection text recorded sent', async () =>
      env.DB.prepare("SELECT 1 AS one FROM sent_messages WHERE client_ref = ? AND recipient = '15550000031' AND status = 'sent'").bind(ref).first(),
    );
    // offered once more after it went (its ack lost): not sent again
    bridge.ws.send(JSON.stringify(callEvent(ref, 'CALL-CRASHED-1', '15550000031')));
    await bridge.waitFor((f) => f.filter((x) => x.t === 'ack' && x.ids.includes('evt-CALL-CRASHED-1')).length >= 2);
    await new Promise((r) => setTimeout(r, 300)); // a second send would be on its way by now
    expect(sends().filter((s) => s.to === '15550000031')).toEqual([expect.objectContaining({ text: DEFAULT_REJECTION })]);
    bridge.close();
  });

  it('a rejection text the full queue refuses is a failed message the owner can see, not a log line', async () => {
    const { bridge, u, clientId, ref } = await setup();
    // the number is down: what is queued stays queued
    bridge.answer = (frame) =>
      frame.op === 'send' || frame.op === 'sendBatch'
        ? { ok: false, code: 'SESSION_NOT_CONNECTED', message: 'not connected' }
        : { ok: true, result: frame.op === 'assign' ? { held: true } : null };
    await call(`/api/clients/${clientId}/governor`, { method: 'PUT', key: u.apiKey, body: { maxQueued: 1 } });
    for (const n of [1, 2, 3]) bridge.ws.send(JSON.stringify(callEvent(ref, `CALL-FULL-${n}`, `1555000004${n}`)));
    await bridge.waitFor(
      (f) => f.filter((x) => x.t === 'ack' && x.ids.some((id: string) => id.startsWith('evt-CALL-FULL-'))).flatMap((x) => x.ids).length >= 3,
    );
    // system texts may fill twice the number's limit: two wait, the third is refused
    expect((await call(`/api/clients/${clientId}/queue`, { key: u.apiKey })).json.depth).toBe(2);
    const sent = (await call('/api/sent-messages', { key: u.apiKey })).json as { recipient: string; status: string; error: string | null }[];
    expect(sent.filter((m) => m.status === 'failed')).toEqual([
      expect.objectContaining({ recipient: '15550000043', status: 'failed', error: expect.stringMatching(/^QUEUE_FULL: /) }),
    ]);
    bridge.close();
  });
});
