// The chat page's shapes: one conversation type for private chats, groups and channels, and a message as the
// thread shows it (the API's, plus what only the live socket knows: the group sender, a send still queued).
import type { Schemas } from '../api.ts';

export type Kind = 'chat' | 'group' | 'channel';

export interface Conversation {
  id: string;
  name: string;
  kind: Kind;
  /** only admins may write (an announcement group or a channel): no composer */
  readOnly: boolean;
  last: { body: string; timestamp: number; fromMe: boolean } | null;
  /** Unix seconds of the newest activity */
  timestamp: number;
  unread: number;
  pinned: boolean;
  /** a line under the name in the thread's header */
  about: string;
}

export type Message = Schemas['ChatMessage'] & {
  /** the sender in a group, as the live socket reports it */
  from?: string;
  /** accepted, not yet sent (its id is the queue's until the sent frame brings WhatsApp's) */
  pending?: boolean;
};

export type View = 'chats' | 'groups';
