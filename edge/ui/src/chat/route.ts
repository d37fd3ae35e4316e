// Where the page is, kept in the hash so the Numbers page can link to a client (`/chat#<clientId>`) and a
// phone's back button leaves an open chat: `#<clientId>` or `#<clientId>/<chatId>`.
export interface Place {
  clientId: string | null;
  chatId: string | null;
}

const decode = (s: string | undefined) => {
  if (!s) return null;
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
};

export function readPlace(): Place {
  const [client, chat] = location.hash.replace(/^#\/?/, '').split('/');
  return { clientId: decode(client), chatId: decode(chat) };
}

export const hrefOf = (p: Place) => (p.clientId ? `#${encodeURIComponent(p.clientId)}${p.chatId ? `/${encodeURIComponent(p.chatId)}` : ''}` : '#');

/** Goes to a place; `replace` keeps the browser's history as it is (a default choice, not a step of the user). */
export function go(p: Place, replace = false) {
  const href = hrefOf(p);
  if (href === (location.hash || '#')) return;
  if (replace) {
    history.replaceState(null, '', href);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else location.hash = href;
}
