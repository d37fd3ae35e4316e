// The right pane: the open chat's header (a back button on a phone), its messages earliest to latest with a
// line for each day, and the composer — or, for a read-only group or channel, why there is none.
import { useEffect, useRef } from 'preact/hooks';
import { Notice } from '../components.tsx';
import { Avatar } from './avatar.tsx';
import { Bubble } from './bubble.tsx';
import { Composer } from './composer.tsx';
import { dayKey, dayLabel } from './format.ts';
import type { Thread } from './thread-state.ts';
import type { Conversation, Message } from './types.ts';

function History(props: { clientId: string; conv: Conversation; messages: Message[] }) {
  const items = [];
  let day = '';
  for (const m of props.messages) {
    const key = dayKey(m.timestamp);
    if (key !== day) {
      day = key;
      items.push(
        <li key={`day-${key}`} class="day">
          <span>{dayLabel(m.timestamp)}</span>
        </li>,
      );
    }
    items.push(<Bubble key={m.id._serialized} clientId={props.clientId} message={m} showSender={props.conv.kind === 'group'} />);
  }
  return <ol class="history">{items}</ol>;
}

function ReadOnly(props: { conv: Conversation }) {
  return (
    <p class="readonly-note" role="note">
      {props.conv.kind === 'channel'
        ? 'This is a channel: only its admins post, so there is no message box here.'
        : 'Only admins can send to this group, so there is no message box here.'}
    </p>
  );
}

export function ThreadPane(props: {
  clientId: string;
  conv: Conversation;
  /** whether the conversation is in the lists (until then a group's read-only flag is unknown) */
  known: boolean;
  thread: Thread;
  onBack: () => void;
  onSend: (text: string, mediaUrl: string | null) => Promise<void>;
}) {
  const { conv, thread } = props;
  const scroller = useRef<HTMLDivElement>(null);
  const count = thread.messages?.length ?? 0;
  const lastMine = thread.messages?.[count - 1]?.fromMe === true;
  // the scroller is anchored at the bottom (column-reverse: it stays there as messages come, or as media
  // loads); our own new message is brought into view even from higher up
  useEffect(() => {
    if (lastMine) scroller.current?.querySelector('.history > li:last-child')?.scrollIntoView({ block: 'end' });
  }, [count, lastMine]);

  return (
    <section class="thread" aria-label={`Chat with ${conv.name}`}>
      <header class="thread-head">
        <button type="button" class="icon-button back-button" aria-label="Back to chats" onClick={props.onBack}>
          <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
            <path d="M20 11H7.8l5.6-5.6L12 4l-8 8 8 8 1.4-1.4L7.8 13H20z" />
          </svg>
        </button>
        <Avatar id={conv.id} name={conv.name} kind={conv.kind} />
        <div class="thread-title">
          <h1 dir="auto">{conv.name}</h1>
          <p>{conv.about}</p>
        </div>
      </header>
      <div class="thread-scroll" ref={scroller}>
        <div class="thread-inner">
          <Notice kind="error">{thread.error}</Notice>
          {!thread.messages && !thread.error && <p class="chat-empty">Loading…</p>}
          {thread.messages?.length === 0 && <p class="chat-empty">No messages yet.</p>}
          {thread.messages && <History clientId={props.clientId} conv={conv} messages={thread.messages} />}
        </div>
      </div>
      {conv.readOnly ? <ReadOnly conv={conv} /> : props.known || conv.kind === 'chat' ? <Composer key={conv.id} onSend={props.onSend} /> : null}
    </section>
  );
}
