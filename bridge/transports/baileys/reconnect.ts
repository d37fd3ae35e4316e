// What to do when a Baileys socket closes: by Baileys' own DisconnectReason, by where the close came from
// (WhatsApp's server said it, or the HTTP handshake never reached it), and by how often it repeated since
// the socket last opened. Codes that cannot heal by retrying stop after a cap with a reason for the owner.
import { DisconnectReason } from '@whiskeysockets/baileys';

export type CloseAction =
  | { action: 'restart' } // 515 restartRequired (after pairing): reconnect at once
  | { action: 'reconnect'; reason: string } // network, 428, 408, 500, 503, a refused handshake: capped backoff
  | { action: 'update_version'; reason: string } // 405: this client version is too old — fetch WhatsApp Web's current one
  | { action: 'logged_out'; reason: string } // the server logged the device out: erase auth, require pairing
  | { action: 'replaced'; reason: string } // 440: another socket holds the identity — stop, never fight it
  | { action: 'give_up'; reason: string }; // a cap was reached: stop, the owner starts it again

/** What the session knows about a close. */
export interface Close {
  code: number | undefined;
  /** the socket's HTTP upgrade was answered with this status: the server never spoke WhatsApp to us */
  handshake: boolean;
  /** the client had been paired (creds.registered) */
  registered: boolean;
  /** closes with this code since the socket last opened, this one included */
  repeats: number;
}

/** How many times in a row a code may close the socket before the session stops. */
export const CAPS = {
  /** 515 after pairing is once; a loop of them is a broken session */
  restart: 5,
  /** 405 after the version was fetched again */
  version: 2,
  /** 500 badSession in a row: the stored session is broken, not the network */
  badSession: 5,
  /** rounds of QR codes nobody scanned (each round is ~6 codes, about 2.5 minutes) */
  qrRounds: 2,
} as const;

export function closeAction(c: Close): CloseAction {
  const code = c.code;
  if (c.handshake) {
    // an HTTP status at the WebSocket upgrade (a proxy, a blocked IP, a captive portal): nothing about the device
    return { action: 'reconnect', reason: `WhatsApp's server refused the connection before the handshake (HTTP ${code}): a proxy or a blocked IP; retrying` };
  }
  switch (code) {
    case DisconnectReason.restartRequired:
      return c.repeats > CAPS.restart
        ? { action: 'give_up', reason: `WhatsApp asked for ${c.repeats} restarts in a row (515) without the session opening; start it again` }
        : { action: 'restart' };
    case DisconnectReason.loggedOut:
    case DisconnectReason.forbidden:
    case DisconnectReason.multideviceMismatch:
      return { action: 'logged_out', reason: `logged out by WhatsApp (${code}); pair again` };
    case DisconnectReason.connectionReplaced:
      return { action: 'replaced', reason: 'connection replaced: another session uses this number' };
    case 405:
      return c.repeats > CAPS.version
        ? { action: 'give_up', reason: 'WhatsApp refuses this client version (405) even after fetching the current one; update the bridge' }
        : { action: 'update_version', reason: 'WhatsApp refused this client version (405); fetching the current one' };
    case DisconnectReason.timedOut: // 408 is both "QR refs ended" and "connection lost"
      if (!c.registered)
        return c.repeats >= CAPS.qrRounds
          ? { action: 'give_up', reason: 'pairing timed out: no one scanned the QR code; add the number again to get a new one' }
          : { action: 'reconnect', reason: 'the QR codes expired unscanned; new ones follow' };
      return { action: 'reconnect', reason: `connection lost (${code}); reconnecting` };
    case DisconnectReason.badSession:
      return c.repeats > CAPS.badSession
        ? {
            action: 'give_up',
            reason: `WhatsApp closed the session ${c.repeats} times in a row (500): the stored session may be broken; log out and pair again`,
          }
        : { action: 'reconnect', reason: `connection closed (500); reconnecting` };
    default:
      return { action: 'reconnect', reason: `connection closed (${code ?? 'network'}); reconnecting` };
  }
}

export const reconnectDelay = (attempt: number, random = Math.random) => Math.round(Math.min(60_000, 1000 * 2 ** attempt) * (0.75 + random() * 0.5));
