// A client's conversations: private chats (newest first, unread counts) and its groups and channels, kept
// current by the live socket's frames.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, must, type Schemas } from '../api.ts';
import type { LiveFrame } from '../live.ts';
import { numberOf, previewOf } from './format.ts';
import type { Conversation } from './types.ts';
import { errorText } from '../components.tsx';

const isGroupish = (id: string) => /@(g\.us|newsletter)$/.test(id);

const fromChat = (c: Schemas['Chat']): Conversation => ({
  id: c.id._serialized,
  name: c.name,
  kind: 'chat',
  readOnly: false,
  last: c.lastMessage,
  timestamp: c.timestamp,
  unread: c.unreadCount,
  pinned: c.pinned,
  about: numberOf(c.id._serialized),
});

const fromGroup = (g: Schemas['Group'] | Schemas['Channel']): Conversation => ({
  id: g.id,
  name: g.name,
  kind: g.type,
  readOnly: g.isReadOnly,
  last: g.lastMessage,
  timestamp: g.timestamp,
  unread: g.unreadCount,
  pinned: g.pinned,
  about:
    g.type === 'channel'
      ? 'Channel'
      : `Group${'participants' in g ? ` · ${g.participants} participant${g.participants === 1 ? '' : 's'}` : ''}${g.isReadOnly ? ' · admins only' : ''}`,
});

const byActivity = (a: Conversation, b: Conversation) => Number(b.pinned) - Number(a.pinned) || b.timestamp - a.timestamp;

export interface Loaded<T> {
  data: T | null;
  error: string | null;
}

export interface Inbox {
  chats: Loaded<Conversation[]>;
  groups: Loaded<{ groups: Conversation[]; channels: Conversation[] }>;
  find(id: string): Conversation | undefined;
  /** a frame from the live socket; `openId` is the chat on screen (its messages are read as they come) */
  apply(frame: LiveFrame, openId: string | null): void;
  markRead(id: string): void;
  /** everything again (after the live socket was down) */
  reload(): void;
}

export function useInbox(clientId: string | null, groupsWanted: boolean): Inbox {
  const [chats, setChats] = useState<Loaded<Conversation[]>>({ data: null, error: null });
  const [groups, setGroups] = useState<Inbox['groups']>({ data: null, error: null });
  const [groupsTick, setGroupsTick] = useState(0);
  const refetch = useRef<number | undefined>(undefined);
  const shown = useRef<Conversation[] | null>(null);
  shown.current = chats.data;

  const loadChats = useCallback(async (id: string, live: () => boolean) => {
    try {
      const { chats: list } = await must(api.GET('/api/chats/{clientId}', { params: { path: { clientId: id } } }));
      if (live()) setChats({ data: list.map(fromChat), error: null });
    } catch (err) {
      if (live()) setChats((s) => ({ data: s.data, error: errorText(err) }));
    }
  }, []);

  useEffect(() => {
    setChats({ data: null, error: null });
    if (!clientId) return;
    let live = true;
    void loadChats(clientId, () => live);
    return () => {
      live = false;
      window.clearTimeout(refetch.current);
    };
  }, [clientId, loadChats]);

  useEffect(() => setGroups({ data: null, error: null }), [clientId]);
  // groups come from the phone (a bridge call, refused while it is not connected): asked for when wanted
  useEffect(() => {
    if (!clientId || !groupsWanted) return;
    let live = true;
    must(api.GET('/api/groups/{clientId}', { params: { path: { clientId } } })).then(
      (g) => live && setGroups({ data: { groups: g.groups.map(fromGroup), channels: g.channels.map(fromGroup) }, error: null }),
      (err: Error) => live && setGroups({ data: null, error: err.message }),
    );
    return () => {
      live = false;
    };
  }, [clientId, groupsWanted, groupsTick]);

  const touch = (list: Conversation[], id: string, change: (c: Conversation) => Conversation) =>
    list.map((c) => (c.id === id ? change(c) : c)).sort(byActivity);

  const apply = useCallback(
    (frame: LiveFrame, openId: string | null) => {
      if (frame.type === 'read') {
        const zero = (c: Conversation) => ({ ...c, unread: 0 });
        setChats((s) => (s.data ? { ...s, data: touch(s.data, frame.chatId, zero) } : s));
        return;
      }
      if (frame.type !== 'message') return;
      const m = frame.message;
      const update = (c: Conversation): Conversation => ({
        ...c,
        last: { body: previewOf(m), timestamp: m.timestamp, fromMe: m.fromMe },
        timestamp: Math.max(c.timestamp, m.timestamp),
        unread: m.fromMe || frame.chatId === openId ? c.unread : c.unread + 1,
      });
      if (isGroupish(frame.chatId)) {
        setGroups((s) =>
          s.data ? { ...s, data: { groups: touch(s.data.groups, frame.chatId, update), channels: touch(s.data.channels, frame.chatId, update) } } : s,
        );
        return;
      }
      const known = Boolean(shown.current?.some((c) => c.id === frame.chatId));
      if (known) setChats((s) => (s.data ? { ...s, data: touch(s.data, frame.chatId, update) } : s));
      // a chat that is new to the list: its name and count come from the API (once, for a burst of frames)
      if (!known && clientId) {
        window.clearTimeout(refetch.current);
        refetch.current = window.setTimeout(() => void loadChats(clientId, () => true), 300);
      }
    },
    [clientId, loadChats],
  );

  const markRead = useCallback((id: string) => {
    const zero = (c: Conversation) => (c.id === id ? { ...c, unread: 0 } : c);
    setChats((s) => (s.data ? { ...s, data: s.data.map(zero) } : s));
    setGroups((s) => (s.data ? { ...s, data: { groups: s.data.groups.map(zero), channels: s.data.channels.map(zero) } } : s));
  }, []);

  const find = (id: string) =>
    chats.data?.find((c) => c.id === id) ?? groups.data?.groups.find((c) => c.id === id) ?? groups.data?.channels.find((c) => c.id === id);

  const reload = useCallback(() => {
    if (!clientId) return;
    void loadChats(clientId, () => true);
    setGroupsTick((t) => t + 1);
  }, [clientId, loadChats]);

  return { chats, groups, find, apply, markRead, reload };
}
