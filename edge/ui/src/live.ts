// A client's live-updates WebSocket (`GET /api/chats/{clientId}/live`): frames as adapters/live.ts defines
// them, a keep-alive ping, and reconnection with backoff whenever the socket drops.
import type { LiveFrame } from '../../../adapters/live.ts';
import { checkLogin } from './api.ts';

export type { LiveFrame };

export interface LiveHandle {
  close(): void;
}

export function watchClient(clientId: string, onFrame: (frame: LiveFrame) => void, onOpen?: (open: boolean) => void): LiveHandle {
  let socket: WebSocket | null = null;
  let closed = false;
  let attempt = 0;
  let opened = false;
  let retry: number | undefined;
  let ping: number | undefined;
  const connect = () => {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/chats/${encodeURIComponent(clientId)}/live`;
    const ws = new WebSocket(url);
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      opened = true;
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
      // dropped after it was open, or the server is away (restarting): back soon, at most 15 s apart. Refused
      // by a server that answers (a login that ended, a rate limit): ask whether the login still holds (a 401
      // there signs the page out) and wait longer each time, up to 5 minutes
      const refused = !opened;
      opened = false;
      const again = (answering: boolean) => {
        if (closed) return;
        const wait = refused && answering ? Math.min(300_000, 2000 * 2 ** attempt++) : Math.min(15_000, 500 * 2 ** attempt++);
        retry = window.setTimeout(connect, wait);
      };
      if (refused) void checkLogin().then(again);
      else again(false);
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
