// A client's live-updates WebSocket (`GET /api/chats/{clientId}/live`): frames as adapters/live.ts defines
// them, a keep-alive ping, and reconnection with backoff whenever the socket drops.
import type { LiveFrame } from '../../../adapters/live.ts';

export type { LiveFrame };

export interface LiveHandle {
  close(): void;
}

export function watchClient(clientId: string, onFrame: (frame: LiveFrame) => void, onOpen?: (open: boolean) => void): LiveHandle {
  let socket: WebSocket | null = null;
  let closed = false;
  let attempt = 0;
  let retry: number | undefined;
  let ping: number | undefined;
  const connect = () => {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/chats/${encodeURIComponent(clientId)}/live`;
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      onOpen?.(true);
      ping = window.setInterval(() => ws.readyState === WebSocket.OPEN && ws.send('ping'), 25_000);
    };
    ws.onmessage = (m) => {
      if (m.data === 'pong') return;
      try {
        onFrame(JSON.parse(String(m.data)) as LiveFrame);
      } catch {
        // not a frame
      }
    };
    ws.onclose = () => {
      window.clearInterval(ping);
      onOpen?.(false);
      if (closed) return;
      retry = window.setTimeout(connect, Math.min(15_000, 500 * 2 ** attempt++));
    };
  };
  connect();
  return {
    close() {
      closed = true;
      window.clearTimeout(retry);
      window.clearInterval(ping);
      socket?.close();
    },
  };
}
