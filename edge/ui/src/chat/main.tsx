// The chat page at `/chat`: a WhatsApp-Web-like view of one client's chats. The left pane picks the client and
// lists its private chats or its groups and channels; the right pane is the open thread. On a phone one pane
// shows at a time. Everything new arrives over the client's live socket.
import { render } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, must, whenSignedOut } from '../api.ts';
import { Notice, useAsync } from '../components.tsx';
import type { LiveFrame } from '../live.ts';
import { useFeed } from './feed.ts';
import { numberOf } from './format.ts';
import { useInbox } from './inbox.ts';
import { ConversationList, Tabs } from './list.tsx';
import { go, readPlace } from './route.ts';
import { send } from './send.ts';
import { SideHead } from './side.tsx';
import { useThread } from './thread-state.ts';
import { ThreadPane } from './thread.tsx';
import type { Conversation, View } from './types.ts';

/** A chat opened by its id before the lists know it (a link, a new chat). */
const stranger = (id: string): Conversation => {
  const kind = id.endsWith('@newsletter') ? 'channel' : id.endsWith('@g.us') ? 'group' : 'chat';
  return { id, name: kind === 'chat' ? numberOf(id) : id, kind, readOnly: false, last: null, timestamp: 0, unread: 0, pinned: false, about: '' };
};

/** Marks the open chat read on the server now and as its messages arrive (while the page is seen). */
function useReader(clientId: string | null, onRead: (chatId: string) => void) {
  const waiting = useRef<string | null>(null);
  const timer = useRef<number | undefined>(undefined);
  const flush = useCallback(() => {
    const chatId = waiting.current;
    if (!clientId || !chatId || document.visibilityState !== 'visible') return;
    waiting.current = null;
    onRead(chatId);
    api.POST('/api/chats/{clientId}/{chatId}/read', { params: { path: { clientId, chatId } } }).catch(() => undefined);
  }, [clientId, onRead]);
  useEffect(() => {
    document.addEventListener('visibilitychange', flush);
    return () => {
      document.removeEventListener('visibilitychange', flush);
      window.clearTimeout(timer.current);
    };
  }, [flush]);
  return useCallback(
    (chatId: string) => {
      waiting.current = chatId;
      window.clearTimeout(timer.current);
      timer.current = window.setTimeout(flush, 250);
    },
    [flush],
  );
}

function App() {
  const [place, setPlace] = useState(readPlace);
  const [view, setView] = useState<View>('chats');
  const clients = useAsync(() => must(api.GET('/api/clients')), []);

  useEffect(() => {
    whenSignedOut(() => location.assign('/'));
    const onHash = () => setPlace(readPlace());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  const known = clients.data?.some((c) => c.clientId === place.clientId) ?? false;
  const clientId = known ? place.clientId : null;
  // no client named (or one that is not ours): the first
  useEffect(() => {
    const first = clients.data?.[0];
    if (clients.data && !known && first) go({ clientId: first.clientId, chatId: null }, true);
  }, [clients.data, known]);

  const groupish = /@(g\.us|newsletter)$/.test(place.chatId ?? '');
  const inbox = useInbox(clientId, view === 'groups' || groupish);
  const thread = useThread(clientId, clientId ? place.chatId : null);
  const found = place.chatId ? inbox.find(place.chatId) : undefined;
  const conv = place.chatId ? (found ?? stranger(place.chatId)) : null;
  const read = useReader(clientId, inbox.markRead);

  const feed = useFeed(
    clientId,
    (frame: LiveFrame) => {
      inbox.apply(frame, place.chatId);
      thread.apply(frame);
      if (frame.type === 'message' && frame.chatId === place.chatId && !frame.message.fromMe) read(frame.chatId);
    },
    () => {
      inbox.reload();
      thread.reload();
    },
  );

  // opening a chat (or its unread count becoming known) marks it read
  const unread = found?.unread ?? 0;
  useEffect(() => {
    if (place.chatId && unread > 0) read(place.chatId);
  }, [place.chatId, unread, read]);

  useEffect(() => {
    document.title = conv ? `${conv.name} · Switchboard chat` : 'Switchboard chat';
  }, [conv?.name]);

  // a group or channel link opens on its list
  useEffect(() => {
    if (groupish) setView('groups');
  }, [groupish]);

  const unreadChats = inbox.chats.data?.filter((c) => c.unread > 0).length ?? 0;

  return (
    <div class={`chat-app${conv ? ' thread-open' : ''}`}>
      <aside class="chat-side" aria-label="Conversations">
        <SideHead clients={clients.data} clientId={clientId} feed={feed} onClient={(id) => go({ clientId: id, chatId: null })} />
        <Notice kind="error">{clients.error}</Notice>
        {clients.data?.length === 0 && (
          <p class="chat-empty">
            No numbers yet. Add one on the <a href="/">Dashboard</a>.
          </p>
        )}
        {clientId && (
          <>
            <Tabs view={view} onView={setView} unread={unreadChats} />
            <ConversationList view={view} inbox={inbox} openId={place.chatId} onOpen={(chatId) => go({ clientId, chatId })} />
          </>
        )}
      </aside>
      <main class="chat-main">
        {clientId && conv ? (
          <ThreadPane
            key={`${clientId}/${conv.id}`}
            clientId={clientId}
            conv={conv}
            known={Boolean(found)}
            thread={thread}
            onBack={() => go({ clientId, chatId: null })}
            onSend={async (text, mediaUrl) => {
              const sent = await send(clientId, conv, text, mediaUrl);
              if (sent) thread.add(sent);
              else thread.reload();
            }}
          />
        ) : (
          <div class="chat-welcome">
            <svg viewBox="0 0 24 24" width="64" height="64" aria-hidden="true">
              <path d="M12 3C6.5 3 2 6.9 2 11.7c0 2.4 1.1 4.6 3 6.2L4 22l4.5-2.3c1.1.3 2.3.5 3.5.5 5.5 0 10-3.9 10-8.7S17.5 3 12 3z" />
            </svg>
            <h1>Switchboard chat</h1>
            <p>Pick a chat on the left to read it and reply. New messages, ticks and reactions arrive as they happen.</p>
          </div>
        )}
      </main>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
