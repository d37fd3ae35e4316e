// What to do when a Baileys socket closes, by status code (DisconnectReason), as Baileys advises.
export type CloseAction =
  | { action: 'restart' } // 515 restartRequired: reconnect at once
  | { action: 'reconnect' } // 428, 408, 500, 503, network: reconnect with capped backoff
  | { action: 'logged_out' } // 401 loggedOut, 403 forbidden, 411 multideviceMismatch: erase auth, require pairing
  | { action: 'replaced' }; // 440 connectionReplaced: another socket holds the identity — stop, never fight it

export function closeAction(statusCode: number | undefined): CloseAction {
  switch (statusCode) {
    case 515:
      return { action: 'restart' };
    case 401:
    case 403:
    case 411:
      return { action: 'logged_out' };
    case 440:
      return { action: 'replaced' };
    default:
      return { action: 'reconnect' };
  }
}

export const reconnectDelay = (attempt: number, random = Math.random) => Math.round(Math.min(60_000, 1000 * 2 ** attempt) * (0.75 + random() * 0.5));
