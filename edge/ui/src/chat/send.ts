// Sending from the chat page: text to a private chat through its chat route (answers with WhatsApp's id once
// sent); media by URL to a private chat through /api/send-message (the chat route takes text only); text or
// media to a group or channel through the group route (queued: it leaves after the group delay).
import { api, must } from '../api.ts';
import { MEDIA_TYPES_SENTENCE, mediaKindOfUrl } from './format.ts';
import type { Conversation, Message } from './types.ts';

/** How long a media send waits for its outcome before it answers "queued". */
const MEDIA_WAIT_S = 15;

const own = (id: string, body: string, timestamp: number, pending: boolean, media: boolean): Message => ({
  id: { _serialized: id },
  body,
  fromMe: true,
  timestamp,
  type: media ? 'media' : 'chat',
  hasMedia: media,
  hasReaction: false,
  reactions: null,
  ack: 1,
  filename: null,
  pending,
});

/** What was sent, to show at once; null when the thread should be loaded again instead. */
export async function send(clientId: string, conv: Conversation, text: string, mediaUrl: string | null): Promise<Message | null> {
  const kind = mediaUrl ? mediaKindOfUrl(mediaUrl) : null;
  if (mediaUrl && !kind) throw new Error(`The media URL must be ${MEDIA_TYPES_SENTENCE}.`);
  if (conv.kind !== 'chat') {
    const r = await must(
      api.POST('/api/groups/{clientId}/{groupId}/send', {
        params: { path: { clientId, groupId: conv.id } },
        body: { ...(text ? { message: text } : {}), ...(mediaUrl && kind ? { mediaUrl, mediaType: kind } : {}) },
      }),
    );
    return own(r.message.id._serialized, text, r.message.timestamp, r.message.status !== 'sent', Boolean(mediaUrl));
  }
  if (!mediaUrl) {
    const r = await must(api.POST('/api/chats/{clientId}/{chatId}/send', { params: { path: { clientId, chatId: conv.id } }, body: { message: text } }));
    return own(r.message.id._serialized, text, r.message.timestamp, r.status !== 'sent', false);
  }
  const r = await must(
    api.POST('/api/send-message', {
      body: {
        clientId,
        number: conv.id.replace(/@c\.us$/, ''),
        mediaUrl,
        ...(text ? { message: text } : {}),
        wait: MEDIA_WAIT_S,
        priority: 'interactive',
      },
    }),
  );
  // sent: its id here is the queue's, the thread's is WhatsApp's (the live frame or a reload brings it)
  return r.status === 'sent' ? null : own(r.messageId, text, Math.floor(r.timestamp / 1000), true, true);
}
