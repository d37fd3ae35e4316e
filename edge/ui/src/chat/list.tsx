// The left pane's list: private chats newest first (name, last message, unread count), or the groups and
// channels, each a button that opens its thread.
import { Notice } from '../components.tsx';
import { Avatar } from './avatar.tsx';
import { listTime, previewOf } from './format.ts';
import type { Inbox } from './inbox.ts';
import type { Conversation, View } from './types.ts';

function Row(props: { conv: Conversation; open: boolean; onOpen: (id: string) => void }) {
  const c = props.conv;
  return (
    <li>
      <button type="button" class="conv" aria-current={props.open ? 'true' : undefined} onClick={() => props.onOpen(c.id)}>
        <Avatar id={c.id} name={c.name} kind={c.kind} />
        <span class="conv-main">
          <span class="conv-line">
            <span class="conv-name" dir="auto">
              {c.name}
            </span>
            <span class={`conv-time${c.unread ? ' conv-time-unread' : ''}`}>{c.last ? listTime(c.last.timestamp) : ''}</span>
          </span>
          <span class="conv-line">
            <span class="conv-preview" dir="auto">
              {c.last ? (
                <>
                  {c.last.fromMe && <span class="conv-you">You: </span>}
                  {previewOf(c.last)}
                </>
              ) : (
                <span class="muted">{c.kind === 'chat' ? 'No messages' : c.about}</span>
              )}
            </span>
            {c.readOnly && (
              <span class="conv-flag" title="Only admins can send here">
                Read-only
              </span>
            )}
            {c.unread > 0 && (
              <span class="conv-unread">
                {c.unread}
                <span class="sr-only"> unread</span>
              </span>
            )}
          </span>
        </span>
      </button>
    </li>
  );
}

function Rows(props: { list: Conversation[]; label: string; openId: string | null; onOpen: (id: string) => void }) {
  return (
    <ul class="conv-list" aria-label={props.label}>
      {props.list.map((c) => (
        <Row key={c.id} conv={c} open={c.id === props.openId} onOpen={props.onOpen} />
      ))}
    </ul>
  );
}

export function Tabs(props: { view: View; onView: (v: View) => void; unread: number }) {
  const tab = (v: View, label: string, extra?: string) => (
    <button type="button" role="tab" class="chat-tab" aria-selected={props.view === v} onClick={() => props.onView(v)}>
      {label}
      {extra && <span class="tab-count">{extra}</span>}
    </button>
  );
  return (
    <div class="chat-tabs" role="tablist" aria-label="Lists">
      {tab('chats', 'Chats', props.unread ? String(props.unread) : undefined)}
      {tab('groups', 'Groups & channels')}
    </div>
  );
}

export function ConversationList(props: { view: View; inbox: Inbox; openId: string | null; onOpen: (id: string) => void }) {
  const { chats, groups } = props.inbox;
  if (props.view === 'chats') {
    return (
      <div class="conv-scroll" role="tabpanel" aria-label="Chats">
        <Notice kind="error">{chats.error}</Notice>
        {!chats.data && !chats.error && <p class="chat-empty">Loading chats…</p>}
        {chats.data?.length === 0 && <p class="chat-empty">No chats yet. When someone writes to this number, the chat appears here.</p>}
        {chats.data && <Rows list={chats.data} label="Chats" openId={props.openId} onOpen={props.onOpen} />}
      </div>
    );
  }
  return (
    <div class="conv-scroll" role="tabpanel" aria-label="Groups and channels">
      <Notice kind="error">{groups.error}</Notice>
      {!groups.data && !groups.error && <p class="chat-empty">Loading groups…</p>}
      {groups.data && (
        <>
          <h2 class="conv-heading">Groups</h2>
          {groups.data.groups.length ? (
            <Rows list={groups.data.groups} label="Groups" openId={props.openId} onOpen={props.onOpen} />
          ) : (
            <p class="chat-empty">No groups.</p>
          )}
          <h2 class="conv-heading">Channels</h2>
          {groups.data.channels.length ? (
            <Rows list={groups.data.channels} label="Channels" openId={props.openId} onOpen={props.onOpen} />
          ) : (
            <p class="chat-empty">No channels.</p>
          )}
        </>
      )}
    </div>
  );
}
