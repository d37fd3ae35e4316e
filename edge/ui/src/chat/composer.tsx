// The composer: a message box (Enter sends, Shift+Enter is a new line), and media by URL behind the clip.
import { useRef, useState } from 'preact/hooks';
import { Notice, errorText } from '../components.tsx';
import { ClipIcon } from './icons.tsx';

export function Composer(props: { onSend: (text: string, mediaUrl: string | null) => Promise<void> }) {
  const [text, setText] = useState('');
  const [mediaOpen, setMediaOpen] = useState(false);
  const [url, setUrl] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const box = useRef<HTMLTextAreaElement>(null);

  const submit = async () => {
    const body = text.trim();
    const media = mediaOpen && url.trim() ? url.trim() : null;
    if (busy || (!body && !media)) return;
    setBusy(true);
    setError(null);
    // The box empties as the send goes (the message may show from the live feed before the answer);
    // a refused send puts the text back, unless the person has started typing another.
    setText('');
    try {
      await props.onSend(body, media);
      setUrl('');
      setMediaOpen(false);
    } catch (err) {
      setText((typed) => typed || text);
      setError(errorText(err));
    } finally {
      setBusy(false);
      box.current?.focus();
    }
  };

  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <Notice kind="error">{error}</Notice>
      {mediaOpen && (
        <div class="composer-media">
          <input
            type="url"
            aria-label="Media URL"
            placeholder="https://example.com/photo.jpg"
            value={url}
            onInput={(e) => setUrl(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                void submit();
              }
            }}
          />
          <small class="hint">Image, video, audio or PDF by URL; the text below is its caption.</small>
        </div>
      )}
      <div class="composer-row">
        <button
          type="button"
          class={`icon-button${mediaOpen ? ' on' : ''}`}
          aria-label="Attach media by URL"
          aria-expanded={mediaOpen}
          onClick={() => setMediaOpen(!mediaOpen)}
        >
          <ClipIcon />
        </button>
        <textarea
          ref={box}
          rows={1}
          aria-label="Message"
          placeholder="Type a message"
          dir="auto"
          value={text}
          onInput={(e) => setText(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
              e.preventDefault();
              void submit();
            }
          }}
        />
        <button type="submit" class="send-button" aria-label="Send" disabled={busy}>
          <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
            <path d="M3.4 20.4 21 12 3.4 3.6 3.4 10l12.6 2-12.6 2z" />
          </svg>
        </button>
      </div>
    </form>
  );
}
