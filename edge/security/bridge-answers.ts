// Well-formed answers to every bridge op (adapters/protocol.ts), for a fake bridge in the security
// suites: a route that reaches the bridge then gets past it, so what follows the bridge runs too.

/** A 1×1 PNG. */
export const PNG_BASE64 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=';

export const WRITABLE_GROUP = '120363000000000001@g.us';
export const READ_ONLY_GROUP = '120363000000000002@g.us';
export const CHANNEL = '120363000000000003@newsletter';

const group = (id: string, name: string, type: 'group' | 'channel', isReadOnly: boolean) => ({
  id,
  name,
  description: null,
  type,
  isReadOnly,
  participants: type === 'group' ? 3 : 0,
  owner: null,
  createdAt: 1_700_000_000,
});

let counter = 0;

/** The result for a `req` frame's op, or undefined to leave it to the fake bridge's default. */
export function bridgeAnswer(frame: { op: string; params?: Record<string, unknown> }): { ok: true; result: unknown } | undefined {
  const now = Date.now();
  switch (frame.op) {
    case 'assign':
      return { ok: true, result: { held: true } };
    case 'release':
      return { ok: true, result: { released: true } };
    case 'start':
      return { ok: true, result: { status: 'pending_auth', connectedNumber: null, qr: { qr: 'qr-payload', png: PNG_BASE64 } } };
    case 'stop':
    case 'read':
      return { ok: true, result: null };
    case 'logout':
      return { ok: true, result: { loggedOut: true } };
    case 'groups':
      return {
        ok: true,
        result: [
          group(WRITABLE_GROUP, 'Team', 'group', false),
          group(READ_ONLY_GROUP, 'Announcements', 'group', true),
          group(CHANNEL, 'News', 'channel', true),
        ],
      };
    case 'media':
      return { ok: true, result: { mimetype: 'image/png', filename: 'photo "1".png', data: PNG_BASE64 } };
    case 'sandbox.scan':
    case 'sandbox.pair':
      return { ok: true, result: { status: 'connected', connectedNumber: '972500000000@c.us' } };
    case 'pictures':
      return { ok: true, result: ((frame.params?.chatIds as string[] | undefined) ?? []).map((chatId) => ({ chatId, url: null })) };
    case 'sandbox.inbound':
      return { ok: true, result: { messageId: `SBX${counter++}`, timestamp: now } };
    case 'sandbox.call':
      return { ok: true, result: { callId: `CALL${counter++}`, rejected: true, timestamp: now } };
    case 'sandbox.react':
      return { ok: true, result: { reacted: true } };
    case 'sandbox.outbox':
      return { ok: true, result: [] };
    default:
      return undefined;
  }
}
