// A received message's media, from the media route (same origin, the login cookie): images, video and audio
// inline, anything else as a download link. Our own sends' media are not kept, so they show as a label.
import { useState } from 'preact/hooks';
import { mediaKindOf } from './format.ts';
import { ClipIcon, DocIcon } from './icons.tsx';
import type { Message } from './types.ts';

export const mediaUrl = (clientId: string, messageId: string) => `/api/chats/${encodeURIComponent(clientId)}/media/${encodeURIComponent(messageId)}`;

export function Media(props: { clientId: string; message: Message }) {
  const m = props.message;
  const [broken, setBroken] = useState(false);
  if (m.fromMe)
    return (
      <span class="media-chip">
        <ClipIcon size={16} /> Attachment
      </span>
    );
  const src = mediaUrl(props.clientId, m.id._serialized);
  const name = m.filename ?? 'Document';
  const download = (
    <a class="media-doc" href={src} download={m.filename ?? true}>
      <DocIcon />
      <span class="media-doc-name" dir="auto">
        {name}
      </span>
      <span class="media-doc-action">Download</span>
    </a>
  );
  if (broken) return download;
  switch (mediaKindOf(m)) {
    case 'image':
      return (
        <a class="media-image" href={src} target="_blank" rel="noopener">
          <img src={src} alt={m.filename ?? (m.type === 'sticker' ? 'Sticker' : 'Photo')} loading="lazy" onError={() => setBroken(true)} />
        </a>
      );
    case 'video':
      // biome-ignore lint/a11y/useMediaCaption: received videos come without captions
      return <video class="media-video" src={src} controls preload="metadata" onError={() => setBroken(true)} />;
    case 'audio':
      // biome-ignore lint/a11y/useMediaCaption: received audio comes without captions
      return <audio class="media-audio" src={src} controls preload="none" onError={() => setBroken(true)} />;
    default:
      return download;
  }
}
