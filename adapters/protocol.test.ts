import { describe, expect, it } from 'vitest';
import { BridgeFrameSchema, EdgeFrameSchema } from './protocol.ts';

describe('link frames', () => {
  it('parses every frame kind both sides send', () => {
    const frames = [
      { t: 'hello', bridgeId: 'bridge-1', transport: 'sandbox', sessions: 0 },
      { t: 'event', id: 'e1e1e1e1-0000', clientRef: 1, at: 1, event: { kind: 'status', status: 'connected', connectedNumber: '1@c.us' } },
      { t: 'res', id: 'r1', ok: true, result: { messageId: 'X' } },
      { t: 'res', id: 'r2', ok: false, code: 'MEDIA_ERROR', message: 'nope' },
    ];
    for (const f of frames) expect(BridgeFrameSchema.parse(f)).toEqual(f);
    expect(EdgeFrameSchema.parse({ t: 'req', id: 'q', clientRef: 2, op: 'send', params: { to: '1' } }).t).toBe('req');
    expect(EdgeFrameSchema.parse({ t: 'ack', ids: ['a'] })).toEqual({ t: 'ack', ids: ['a'] });
  });

  it('refuses malformed frames', () => {
    expect(BridgeFrameSchema.safeParse({ t: 'event', id: 'short', clientRef: 1, at: 1, event: { kind: 'qr' } }).success).toBe(false);
    expect(EdgeFrameSchema.safeParse({ t: 'req', id: 'q', clientRef: 2, op: 'rm -rf' }).success).toBe(false);
  });
});
