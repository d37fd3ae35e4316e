// One message as a bubble: ours on the right in green, theirs on the left; its media, text (right-to-left
// when it is Hebrew or Arabic: dir="auto"), reactions, time and, for ours, the ticks.
import { clock, numberOf } from './format.ts';
import { ClockIcon } from './icons.tsx';
import { Media } from './media.tsx';
import type { Message } from './types.ts';

const TICK = 'M1.5 8.5l3.2 3.2L11.5 4';
const SECOND_TICK = 'M7.2 11.4l.3.3L14.3 4';

/** Sent ✓, delivered ✓✓, read blue ✓✓; a clock while queued; failed ! */
export function Ticks(props: { ack: number; pending?: boolean }) {
  if (props.pending) return <ClockIcon label="Queued" />;
  if (props.ack < 0)
    return (
      <span class="ticks ticks-failed" role="img" aria-label="Not sent">
        !
      </span>
    );
  const label = props.ack >= 3 ? 'Read' : props.ack === 2 ? 'Delivered' : 'Sent';
  return (
    <svg class={`ticks${props.ack >= 3 ? ' ticks-read' : ''}`} viewBox="0 0 16 15" width="16" height="15" role="img" aria-label={label}>
      <title>{label}</title>
      <path d={TICK} />
      {props.ack >= 2 && <path d={SECOND_TICK} />}
    </svg>
  );
}

function Reactions(props: { message: Message }) {
  const list = props.message.reactions ?? [];
  if (!list.length) return null;
  const counts = new Map<string, number>();
  for (const r of list) counts.set(r.reaction, (counts.get(r.reaction) ?? 0) + 1);
  const label = [...counts].map(([emoji, n]) => `${emoji} ${n}`).join(', ');
  return (
    <span class="reactions" role="img" aria-label={`Reactions: ${label}`}>
      {[...counts].map(([emoji, n]) => (
        <span key={emoji}>
          {emoji}
          {n > 1 && <span class="reaction-count">{n}</span>}
        </span>
      ))}
    </span>
  );
}

export function Bubble(props: { clientId: string; message: Message; showSender: boolean }) {
  const m = props.message;
  return (
    <li class={`msg ${m.fromMe ? 'msg-out' : 'msg-in'}${m.hasReaction ? ' msg-reacted' : ''}`} data-id={m.id._serialized}>
      <div class="bubble">
        {props.showSender && m.from && (
          <span class="msg-sender" dir="auto">
            {numberOf(m.from.includes('@') ? m.from : `${m.from}@c.us`)}
          </span>
        )}
        {m.hasMedia && <Media clientId={props.clientId} message={m} />}
        {m.body && (
          <p class="msg-body" dir="auto">
            {m.body}
          </p>
        )}
        <span class="msg-meta">
          <time dateTime={new Date(m.timestamp * 1000).toISOString()}>{clock(m.timestamp)}</time>
          {m.fromMe && <Ticks ack={m.ack} pending={m.pending} />}
        </span>
        <Reactions message={m} />
      </div>
    </li>
  );
}
