// A bridge played by a workerd test over a real WebSocket to the BridgeLink Durable Object.
import { env, SELF } from 'cloudflare:test';

type Answer = { ok: true; result: unknown } | { ok: false; code: string; message: string };

export interface FakeBridge {
  ws: WebSocket;
  frames: any[];
  /** what `req` frames are answered with (a promise: answered when it settles); default: start → pending_auth, send → a new message id */
  answer: (frame: any) => Answer | Promise<Answer>;
  waitFor(pred: (frames: any[]) => boolean): Promise<any[]>;
  /** the lease epoch the edge granted this bridge for a client (0: none) */
  epochOf(clientRef: number): number;
  close(): void;
}

let counter = 0;

/** A bridge credential, as the operator (or npm start) issues it. */
export async function issueBridgeToken(bridgeId: string): Promise<string> {
  const res = await SELF.fetch('http://sb.test/internal/bridges', {
    method: 'POST',
    headers: { authorization: `Bearer ${env.INTERNAL_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ bridgeId }),
  });
  if (res.status !== 201) throw new Error(`issuing a bridge credential failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** Opens a link with a token (a raw upgrade: the test decides what to send). */
export async function openLink(token: string): Promise<Response> {
  return SELF.fetch('http://sb.test/internal/bridge/connect', { headers: { upgrade: 'websocket', authorization: `Bearer ${token}` } });
}

export async function connectFakeBridge(bridgeId = `test-bridge-${counter++}`): Promise<FakeBridge> {
  const res = await openLink(await issueBridgeToken(bridgeId));
  if (res.status !== 101 || !res.webSocket) throw new Error(`bridge connect failed: ${res.status}`);
  const ws = res.webSocket;
  ws.accept();
  const waiters: (() => void)[] = [];
  const sentKeys = new Map<string, unknown>();
  const bridge: FakeBridge = {
    ws,
    frames: [],
    answer: (frame) => {
      if (frame.op === 'assign') return { ok: true, result: { held: true } };
      if (frame.op === 'release') return { ok: true, result: { released: true } };
      if (frame.op === 'start') return { ok: true, result: { status: 'pending_auth', connectedNumber: null } };
      const sendOne = (params: { key?: string }) => {
        const key = params.key;
        if (key && sentKeys.has(key)) return sentKeys.get(key) as { messageId: string; timestamp: number };
        const result = { messageId: `FAKE${counter++}${Math.random().toString(36).slice(2, 8)}`, timestamp: Date.now() };
        if (key) sentKeys.set(key, result);
        return result;
      };
      if (frame.op === 'send') return { ok: true, result: sendOne(frame.params) };
      if (frame.op === 'sendBatch') return { ok: true, result: frame.params.items.map((item: { key?: string }) => ({ ok: true, ...sendOne(item) })) };
      return { ok: true, result: null };
    },
    waitFor: async (pred) => {
      for (let i = 0; i < 200 && !pred(bridge.frames); i++)
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      return bridge.frames;
    },
    epochOf: (clientRef) => epochs.get(clientRef) ?? 0,
    close: () => ws.close(),
  };
  // events a test sends without an epoch carry the one this bridge holds the client at (as a real bridge stamps them)
  const stamp = (f: any) => (f && typeof f === 'object' && f.t === 'event' && f.epoch === undefined ? { ...f, epoch: bridge.epochOf(f.clientRef) } : f);
  const rawSend = ws.send.bind(ws);
  Object.defineProperty(ws, 'send', {
    writable: true,
    configurable: true,
    value: (data: string | ArrayBuffer) => {
      if (typeof data !== 'string') return rawSend(data);
      let frame: any;
      try {
        frame = JSON.parse(data);
      } catch {
        return rawSend(data);
      }
      if (frame?.t === 'events' && Array.isArray(frame.events)) return rawSend(JSON.stringify({ ...frame, events: frame.events.map(stamp) }));
      return rawSend(frame?.t === 'event' ? JSON.stringify(stamp(frame)) : data);
    },
  });
  const epochs = new Map<number, number>();
  ws.addEventListener('message', (m) => {
    const frame = JSON.parse(String(m.data));
    bridge.frames.push(frame);
    if (frame.t === 'req' && frame.op === 'assign') epochs.set(frame.clientRef, frame.epoch);
    if (frame.t === 'req' && frame.op === 'release') epochs.delete(frame.clientRef);
    if (frame.t === 'welcome') for (const s of frame.sessions) epochs.set(s.clientRef, s.epoch);
    if (frame.t === 'req') {
      const answer = bridge.answer(frame);
      if (answer instanceof Promise) void answer.then((a) => ws.send(JSON.stringify({ t: 'res', id: frame.id, ...a })));
      else ws.send(JSON.stringify({ t: 'res', id: frame.id, ...answer }));
    }
    for (const w of waiters.splice(0)) w();
  });
  ws.send(JSON.stringify({ t: 'hello', bridgeId, transport: 'sandbox', sessions: 0, version: '0.0.0-test' }));
  await bridge.waitFor((f) => f.some((x) => x.t === 'welcome'));
  return bridge;
}

/** A `message` event frame from 15550000001 (no epoch: a fake bridge stamps its own when it sends it). */
export const messageEvent = (clientRef: number, id: string, body = 'hi', epoch?: number, at = Date.now()) => ({
  t: 'event',
  id,
  clientRef,
  ...(epoch === undefined ? {} : { epoch }),
  at,
  event: {
    kind: 'message',
    messageId: `M-${id}`,
    from: '15550000001',
    chatId: '15550000001@c.us',
    fromMe: false,
    body,
    type: 'chat',
    timestamp: at,
    hasMedia: false,
  },
});
