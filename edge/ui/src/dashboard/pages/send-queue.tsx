// A number's send queue as its owner sees it on the Numbers page: what waits, when the next may go and
// what holds it (the governor's interval, the day's new-contact cap, a pause after WhatsApp's 463), and
// the pacing in force (GET /api/clients/{clientId}/queue).
import { api, must, type Schemas } from '../../api.ts';
import { Notice, useAsync } from '../../components.tsx';

type Queue = Schemas['SendQueue'];

const HELD_BY: Record<string, string> = {
  interval: 'the interval between sends',
  new_contact_cap: "today's cap on first messages to new contacts",
  paused: 'a pause after WhatsApp refused a message',
};

const time = (iso: string) => new Date(iso).toLocaleString();
const duration = (ms: number) => (ms >= 120_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 100) / 10} s`);

function pacing(p: Queue['policy']): string {
  const gap = p.jitterMs > 0 ? `${duration(p.minIntervalMs)} + up to ${duration(p.jitterMs)}` : duration(p.minIntervalMs);
  const parts = [p.minIntervalMs + p.jitterMs > 0 ? `${gap} between sends` : 'not paced'];
  if (p.newContactsPerDay !== null)
    parts.push(
      `${p.newContactsPerDay} first messages a day to new contacts${p.warmup ? ` (from ${p.warmup.startPerDay} over ${p.warmup.days} days after pairing)` : ''}`,
    );
  parts.push(`a message waits at most ${Math.round(p.expiryMs / 3_600_000)} h`);
  return `${parts.join('; ')}.`;
}

export function SendQueue(props: { clientId: string }) {
  const queue = useAsync(() => must(api.GET('/api/clients/{clientId}/queue', { params: { path: { clientId: props.clientId } } })), [props.clientId]);
  const q = queue.data;
  const paused = q?.pausedUntil ? q : null;
  return (
    <section class="stack" aria-label={`Send queue of ${props.clientId}`}>
      <Notice kind="error">{queue.error}</Notice>
      {paused && (
        <Notice kind="error">
          Sending is paused until {time(paused.pausedUntil!)}
          {paused.pauseReason ? `: ${paused.pauseReason}` : ''}. Nothing is lost: what waits goes after the pause.
        </Notice>
      )}
      {q && (
        <>
          <p>
            {q.depth === 0
              ? 'Nothing waiting.'
              : `${q.depth} waiting (${q.interactive} replies and chat, ${q.bulk} bulk)${q.sending ? `, ${q.sending} sending now` : ''}.`}
            {q.depth > 0 && q.nextSendAt && ` The next may go at ${time(q.nextSendAt)}`}
            {q.depth > 0 && q.nextSendAt && (q.heldBy && !paused ? `, held by ${HELD_BY[q.heldBy] ?? q.heldBy}.` : '.')}
          </p>
          <p class="muted">Pacing: {pacing(q.policy)}</p>
        </>
      )}
      <div class="row">
        <button type="button" class="secondary small" onClick={queue.reload} disabled={queue.loading}>
          Refresh
        </button>
      </div>
    </section>
  );
}
