// The open chat's messages, earliest to latest: loaded from the API, then kept current by the live socket
// (new messages, acks, reactions) and by what this page sends.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { api, must } from '../api.ts';
import type { LiveFrame } from '../live.ts';
import type { Message } from './types.ts';

/** How many of a chat's latest messages the thread shows. */
const HISTORY = 200;

export interface Thread {
  messages: Message[] | null;
  error: string | null;
  apply(frame: LiveFrame): void;
  /** a message this page sent (or queued) */
  add(m: Message): void;
  reload(): void;
}

export function useThread(clientId: string | null, chatId: string | null): Thread {
  const [messages, setMessages] = useState<Message[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  /** acks that came before their message (a send's frame and its ack race) */
  const early = useRef(new Map<string, number>());
  /** live messages that came while the chat was loading: the load may have been read before they were stored */
  const whileLoading = useRef<Message[]>([]);
  /** live messages that came while a reload (after the socket reconnected) was under way: null when none is */
  const whileReloading = useRef<Message[] | null>(null);

  /** The loaded messages, with those that came live meanwhile and are not among them, after them. */
  const loaded = (list: Message[]): Message[] => {
    const seen = new Set(list.map((m) => m.id._serialized));
    const extra = whileLoading.current.filter((m) => !seen.has(m.id._serialized));
    whileLoading.current = [];
    return [...list, ...extra];
  };

  useEffect(() => {
    setMessages(null);
    setError(null);
    early.current.clear();
    whileLoading.current = [];
    if (!clientId || !chatId) return;
    let live = true;
    must(api.GET('/api/chats/{clientId}/{chatId}/messages', { params: { path: { clientId, chatId }, query: { limit: HISTORY } } })).then(
      (r) => live && setMessages(loaded(r.messages)),
      (err: Error) => live && setError(err.message),
    );
    return () => {
      live = false;
    };
  }, [clientId, chatId]);

  useEffect(() => {
    if (!tick || !clientId || !chatId) return;
    let live = true;
    whileReloading.current = [];
    must(api.GET('/api/chats/{clientId}/{chatId}/messages', { params: { path: { clientId, chatId }, query: { limit: HISTORY } } })).then(
      (r) => {
        if (!live) return;
        // the reload may have been read before a message that came live meanwhile was stored: it stays
        const seen = new Set(r.messages.map((m) => m.id._serialized));
        const came = (whileReloading.current ?? []).filter((m) => !seen.has(m.id._serialized));
        whileReloading.current = null;
        // a queued copy whose sent message is here already (the same text, sent no earlier) is not shown twice
        const sent = ([...r.messages, ...came] as Message[]).filter((m) => m.fromMe && !m.pending);
        const extra = came.filter((m) => {
          if (!m.pending) return true;
          const i = sent.findIndex((s) => s.body === m.body && s.timestamp >= m.timestamp);
          if (i >= 0) sent.splice(i, 1);
          return i < 0;
        });
        setMessages([...r.messages, ...extra]);
      },
      () => {
        whileReloading.current = null; // the messages on screen stay
      },
    );
    return () => {
      live = false;
      whileReloading.current = null;
    };
  }, [tick]);

  const withEarlyAck = (m: Message): Message => {
    const ack = early.current.get(m.id._serialized);
    if (ack === undefined) return m;
    early.current.delete(m.id._serialized);
    return { ...m, ack: Math.max(m.ack, ack), pending: false };
  };

  const add = useCallback((m: Message) => {
    whileReloading.current?.push(m);
    setMessages((list) => {
      if (!list) {
        whileLoading.current.push(m); // kept for when the load answers
        return list;
      }
      const id = m.id._serialized;
      if (list.some((x) => x.id._serialized === id)) return list;
      // our own message, sent: it takes the place of its queued copy
      if (m.fromMe && !m.pending) {
        const queued = list.findIndex((x) => x.pending && x.body === m.body);
        if (queued >= 0) return list.map((x, i) => (i === queued ? withEarlyAck(m) : x));
      }
      return [...list, withEarlyAck(m)];
    });
  }, []);

  const apply = useCallback(
    (frame: LiveFrame) => {
      if (frame.type === 'message') {
        if (frame.chatId !== chatId) return;
        const m = frame.message;
        add({ ...m, hasReaction: false, reactions: null, ack: m.fromMe ? 1 : 2, filename: null });
      } else if (frame.type === 'ack') {
        let found = false;
        setMessages((list) => {
          if (!list) return list;
          return list.map((m) => {
            if (m.id._serialized !== frame.messageId) return m;
            found = true;
            return { ...m, ack: frame.ack < 0 ? frame.ack : Math.max(m.ack, frame.ack), pending: false };
          });
        });
        if (!found) early.current.set(frame.messageId, frame.ack);
        if (early.current.size > 200) early.current.delete(early.current.keys().next().value!);
      } else if (frame.type === 'reaction') {
        setMessages((list) =>
          list
            ? list.map((m) => {
                if (m.id._serialized !== frame.messageId) return m;
                const others = (m.reactions ?? []).filter((r) => r.senderId !== frame.senderId);
                const reactions = frame.reaction ? [...others, { reaction: frame.reaction, senderId: frame.senderId }] : others;
                return { ...m, reactions, hasReaction: reactions.length > 0 };
              })
            : list,
        );
      }
    },
    [chatId, add],
  );

  return { messages, error, apply, add, reload: useCallback(() => setTick((t) => t + 1), []) };
}
