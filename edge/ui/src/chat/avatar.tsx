// A conversation's picture: initials on one of a few colours (by its id), or a group or channel mark.
import { initials } from './format.ts';
import type { Kind } from './types.ts';

const COLOURS = 6;

const colourOf = (id: string) => {
  let h = 0;
  for (const ch of id) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h % COLOURS;
};

export function Avatar(props: { id: string; name: string; kind: Kind }) {
  return (
    <span class={`avatar avatar-c${colourOf(props.id)}`} aria-hidden="true">
      {props.kind === 'chat' ? (
        initials(props.name)
      ) : (
        <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
          {props.kind === 'group' ? (
            <path d="M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zm7.5 0a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM9 12.5c-3.3 0-6 1.7-6 3.8V19h12v-2.7c0-2.1-2.7-3.8-6-3.8zm7.5.2c-.6 0-1.1.1-1.6.2 1 .9 1.6 2 1.6 3.4V19H21v-2.5c0-2-2-3.8-4.5-3.8z" />
          ) : (
            <path d="M18 4v14l-5-3H7l1.5 5H6l-2-5a3 3 0 0 1-1-2.3V9a3 3 0 0 1 3-3h7zm2 4.5a2.5 2.5 0 0 1 0 5z" />
          )}
        </svg>
      )}
    </span>
  );
}
