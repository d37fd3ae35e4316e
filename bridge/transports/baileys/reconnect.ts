// What to do when a Baileys socket closes, by Baileys' own DisconnectReason, as Baileys advises.
import { DisconnectReason } from '@whiskeysockets/baileys';

export type CloseAction =
  | { action: 'restart' } // restartRequired: reconnect at once
  | { action: 'reconnect' } // connectionClosed, connectionLost/timedOut, badSession, unavailableService, network: capped backoff
  | { action: 'logged_out' } // loggedOut, forbidden, multideviceMismatch: erase auth, require pairing
  | { action: 'replaced' }; // connectionReplaced: another socket holds the identity — stop, never fight it

export function closeAction(statusCode: number | undefined): CloseAction {
  switch (statusCode) {
    case DisconnectReason.restartRequired:
      return { action: 'restart' };
    case DisconnectReason.loggedOut:
    case DisconnectReason.forbidden:
    case DisconnectReason.multideviceMismatch:
      return { action: 'logged_out' };
    case DisconnectReason.connectionReplaced:
      return { action: 'replaced' };
    default:
      return { action: 'reconnect' };
  }
}

export const reconnectDelay = (attempt: number, random = Math.random) => Math.round(Math.min(60_000, 1000 * 2 ** attempt) * (0.75 + random() * 0.5));
