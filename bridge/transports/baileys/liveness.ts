// "Connected but dead": a socket that says it is open while nothing comes through it. rc14's own keep-alive
// ends a socket only while its WebSocket reports open, and warns otherwise for ever. This watchdog sees every
// frame the socket receives (keep-alive pongs included); after `silentMs` with none it probes with a ping
// query, and if that goes unanswered within `probeTimeoutMs` it tells the session to restart the socket.
import { S_WHATSAPP_NET, type BinaryNode } from '@whiskeysockets/baileys';

export interface LivenessOptions {
  /** no frame for this long while connected: probe (default 120 s; BAILEYS_LIVENESS_MS) */
  silentMs: number;
  /** a probe unanswered this long: restart */
  probeTimeoutMs: number;
}

export const livenessDefaults = (env: Record<string, string | undefined> = process.env): LivenessOptions => {
  const silent = Number(env.BAILEYS_LIVENESS_MS);
  return { silentMs: Number.isFinite(silent) && silent >= 10_000 ? silent : 120_000, probeTimeoutMs: 15_000 };
};

export interface ProbedSocket {
  ws?: { on(event: 'message', listener: (data: unknown) => void): unknown };
  query?: (node: BinaryNode, timeoutMs?: number) => Promise<unknown>;
}

const PING: () => BinaryNode = () => ({ tag: 'iq', attrs: { to: S_WHATSAPP_NET, type: 'get', xmlns: 'w:p' }, content: [{ tag: 'ping', attrs: {} }] });

/** Watches `sock` while `connected()`; calls `dead(reason)` once. Returns a function that stops watching. */
export function watchLiveness(sock: ProbedSocket, opts: LivenessOptions, connected: () => boolean, dead: (reason: string) => void): () => void {
  let lastFrameAt = Date.now();
  let probing = false;
  let done = false;
  sock.ws?.on('message', () => {
    lastFrameAt = Date.now();
  });
  const check = async () => {
    if (done || probing || !connected()) {
      if (!connected()) lastFrameAt = Date.now(); // the silence counts from being connected
      return;
    }
    const silent = Date.now() - lastFrameAt;
    if (silent < opts.silentMs) return;
    probing = true;
    let timer: NodeJS.Timeout | undefined;
    const answered = await Promise.race([
      (sock.query?.(PING(), opts.probeTimeoutMs) ?? Promise.reject(new Error('no query'))).then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), opts.probeTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    probing = false;
    if (done || !connected()) return;
    if (answered) {
      lastFrameAt = Date.now();
      return;
    }
    done = true;
    dead(`connected but silent for ${Math.round(silent / 1000)} s and a ping went unanswered; restarting the connection`);
  };
  const every = setInterval(() => void check(), Math.max(25, Math.min(30_000, Math.floor(opts.silentMs / 4))));
  every.unref?.();
  return () => {
    done = true;
    clearInterval(every);
  };
}
