import { describe, expect, it } from 'vitest';
import { BridgeFrameSchema, EdgeFrameSchema } from './protocol.ts';

describe('link frames', () => {
  it('parses every frame kind both sides send', () => {
    const frames = [
      { t: 'hello', bridgeId: 'bridge-1', transport: 'sandbox', sessions: 0 },
      { t: 'event', id: 'e1e1e1e1-0000', clientRef: 1, epoch: 3, at: 1, event: { kind: 'status', status: 'connected', connectedNumber: '1@c.us' } },
      { t: 'event', id: 'e1e1e1e1-0001', clientRef: 1, epoch: 3, at: 1, event: { kind: 'auth', entries: [{ type: 'creds', id: '', value: 'v1:sealed' }] } },
      { t: 'drain' },
      { t: 'res', id: 'r1', ok: true, result: { messageId: 'X' } },
      { t: 'res', id: 'r2', ok: false, code: 'MEDIA_ERROR', message: 'nope' },
    ];
    for (const f of frames) expect(BridgeFrameSchema.parse(f)).toEqual(f);
    expect(EdgeFrameSchema.parse({ t: 'req', id: 'q', clientRef: 2, epoch: 1, op: 'send', params: { to: '1' } }).t).toBe('req');
    expect(EdgeFrameSchema.parse({ t: 'drained', moved: 2, released: 0 }).t).toBe('drained');
    const welcome = { t: 'welcome', sessions: [{ clientRef: 2, clientId: 'c', phoneNumber: '1', epoch: 4 }] };
    expect(EdgeFrameSchema.parse(welcome)).toEqual(welcome);
    expect(EdgeFrameSchema.parse({ t: 'ack', ids: ['a'] })).toEqual({ t: 'ack', ids: ['a'] });
  });

  it('refuses malformed frames', () => {
    // no lease epoch: neither a request nor an event is taken
    expect(EdgeFrameSchema.safeParse({ t: 'req', id: 'q', clientRef: 2, op: 'send', params: { to: '1' } }).success).toBe(false);
    expect(
      BridgeFrameSchema.safeParse({
        t: 'event',
        id: 'e1e1e1e1-0000',
        clientRef: 1,
        at: 1,
        event: { kind: 'status', status: 'connected', connectedNumber: null },
      }).success,
    ).toBe(false);
    expect(BridgeFrameSchema.safeParse({ t: 'event', id: 'short', clientRef: 1, at: 1, event: { kind: 'qr' } }).success).toBe(false);
    expect(EdgeFrameSchema.safeParse({ t: 'req', id: 'q', clientRef: 2, op: 'rm -rf' }).success).toBe(false);
  });
});
