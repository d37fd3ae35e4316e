// The client's live socket for the whole page: one connection (it reconnects by itself), its frames handed
// to the newest handler, the client's state from its hello and state frames, and a call after a reconnect
// (frames may have been missed meanwhile: the page loads again what it shows).
import { useEffect, useRef, useState } from 'preact/hooks';
import { type LiveFrame, watchClient } from '../live.ts';

export type LiveState = Extract<LiveFrame, { type: 'hello' }>['state'];

export interface Feed {
  /** null while the first connection is under way */
  open: boolean | null;
  state: LiveState | null;
}

export function useFeed(clientId: string | null, onFrame: (frame: LiveFrame) => void, onReconnect: () => void): Feed {
  const handlers = useRef({ onFrame, onReconnect });
  handlers.current = { onFrame, onReconnect };
  const [open, setOpen] = useState<boolean | null>(null);
  const [state, setState] = useState<LiveState | null>(null);
  useEffect(() => {
    setOpen(null);
    setState(null);
    if (!clientId) return;
    // the first open counts as a reconnect too: what came before the socket was watching is caught up
    let dropped = true;
    const handle = watchClient(
      clientId,
      (frame) => {
        if (frame.type === 'hello' || frame.type === 'state') setState(frame.state);
        handlers.current.onFrame(frame);
      },
      (isOpen) => {
        setOpen(isOpen);
        if (!isOpen) dropped = true;
        else if (dropped) {
          dropped = false;
          handlers.current.onReconnect();
        }
      },
    );
    return () => handle.close();
  }, [clientId]);
  return { open, state };
}
