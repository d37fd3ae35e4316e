// The live preview beside the editor: the draft tried on the account's recent events of its event
// (POST /api/rules/preview, 400 ms after the last change), newest first — whether each matches, why not,
// and what each action would do with the texts rendered. The API's validation error replaces the list
// (naming the field) until the draft is fixed; nothing is saved or sent.
import { useEffect, useState } from 'preact/hooks';
import { api, must, type Schemas } from '../../../api.ts';
import { errorText } from '../../../components.tsx';
import { Pill, Stamp } from '../data/ui.tsx';
import type { ActionDraft, RuleEvent, RuleInput } from './model.ts';
import { Problem } from './problem.tsx';
import { ACTION_WORDS, EVENT_WORDS, eventWords } from './words.ts';

type Tried = { event: Schemas['RuleRecentEvent']; result: Schemas['RuleTestResult'] };
type Would = Schemas['RuleActionPreview'];

export const PREVIEW_DELAY_MS = 400;
const EVENTS_TRIED = 10;

interface PreviewState {
  results: Tried[] | null;
  error: string | null;
  loading: boolean;
}

/** The preview of `input`, asked again 400 ms after it last changed (an older answer is dropped). */
export function usePreview(input: RuleInput | null): PreviewState {
  const key = input ? JSON.stringify(input) : '';
  const [state, setState] = useState<PreviewState>({ results: null, error: null, loading: false });
  useEffect(() => {
    if (!key) {
      setState({ results: null, error: null, loading: false });
      return;
    }
    const abort = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    const timer = window.setTimeout(async () => {
      try {
        const data = await must(api.POST('/api/rules/preview', { body: { rule: JSON.parse(key) as RuleInput, limit: EVENTS_TRIED }, signal: abort.signal }));
        if (!abort.signal.aborted) setState({ results: data.results, error: null, loading: false });
      } catch (err) {
        if (!abort.signal.aborted) setState({ results: null, error: errorText(err), loading: false });
      }
    }, PREVIEW_DELAY_MS);
    return () => {
      window.clearTimeout(timer);
      abort.abort();
    };
  }, [key]);
  return state;
}

const str = (v: unknown) => (typeof v === 'string' || typeof v === 'number' ? String(v) : '');

/** A device's name for its id (a WhatsApp client's id is its name). */
export type NameOf = (id: string) => string;

/** What an action would do in a line, and the text it would send. */
function wouldWords(a: Would, nameOf: NameOf): { line: string; text: string | null } {
  const w = a.would ?? {};
  switch (a.type) {
    case 'reply':
      return {
        line: `Reply over ${str(w.channel) === 'sms' ? 'SMS' : 'WhatsApp'} to ${str(w.to)}${w.via ? ` via ${nameOf(str(w.via))}` : ''}`,
        text: str(w.text),
      };
    case 'whatsapp':
      return { line: `WhatsApp from ${str(w.clientId)} to ${str(w.to)}`, text: str(w.text) };
    case 'sms':
      return {
        line: `SMS to ${str(w.to)} ${str(w.deviceId) === 'routed' ? '(routed to a healthy device)' : `via ${nameOf(str(w.deviceId))}`}`,
        text: str(w.text),
      };
    case 'email': {
      const to = Array.isArray(w.to) ? w.to.map(str).join(', ') : '';
      const extra = [w.attachment ? `with ${str(w.attachment)}` : '', w.via ? `via ${str(w.via)}` : ''].filter(Boolean).join(', ');
      return { line: `Email to ${to}${extra ? ` (${extra})` : ''}`, text: `Subject: ${str(w.subject)}\n\n${str(w.body)}` };
    }
    case 'webhook':
      return { line: `POST the event to ${str(w.url)}`, text: null };
    case 'stop':
      return { line: 'Stop: later rules skip this event', text: null };
  }
}

function WouldItem(props: { action: Would; n: number; nameOf: NameOf }) {
  const a = props.action;
  const { line, text } = a.would ? wouldWords(a, props.nameOf) : { line: ACTION_WORDS[a.type], text: null };
  return (
    <li class="ru-would" data-type={a.type}>
      <span class="ru-would-line">
        <span class="ru-action-n">{props.n}</span> {line}
      </span>
      {text && (
        <p class="ru-rendered" dir="auto">
          {text}
        </p>
      )}
      {a.problem && <small class="dt-error">Would fail: {a.problem}</small>}
    </li>
  );
}

function TriedItem(props: { tried: Tried; nameOf: NameOf }) {
  const { event, result } = props.tried;
  const { who, what } = eventWords(event.event);
  return (
    <li class={`ru-try${result.matched ? ' ru-try-yes' : ''}`} data-event-id={event.id}>
      <div class="ru-try-head">
        <Pill tone={result.matched ? 'ok' : 'muted'}>{result.matched ? 'Matches' : 'No match'}</Pill>
        {who && <bdi class="dt-strong">{who}</bdi>}
        <small class="muted ru-try-time">
          <Stamp at={event.receivedAt} />
        </small>
      </div>
      {what && (
        <p class="ru-try-text" dir="auto">
          {what}
        </p>
      )}
      {!result.matched && result.why && <p class="hint ru-why">Why not: {result.why}</p>}
      {result.matched && (
        <ol class="ru-woulds" aria-label="What it would do">
          {result.actions.map((a, i) => (
            <WouldItem key={i} action={a} n={i + 1} nameOf={props.nameOf} />
          ))}
        </ol>
      )}
    </li>
  );
}

export function Preview(props: { state: PreviewState; event: RuleEvent; actions: ActionDraft[]; nameOf: NameOf }) {
  const { results, error, loading } = props.state;
  const matched = results?.filter((r) => r.result.matched).length ?? 0;
  return (
    <section class="ru-preview" aria-labelledby="ru-preview-h" aria-busy={loading}>
      <header class="ru-preview-head">
        <h3 id="ru-preview-h">Preview</h3>
        <span class="hint">{loading ? 'Updating…' : 'Nothing is sent'}</span>
      </header>
      <p class="sr-only" aria-live="polite">
        {results ? `${matched} of ${results.length} recent events match` : ''}
      </p>
      {props.actions.length === 0 && <p class="muted">Add an action to see what the rule would do.</p>}
      {error && <Problem error={error} actions={props.actions} class="ru-preview-error" />}
      {!error && results?.length === 0 && (
        <p class="muted ru-none">
          No recent “{EVENT_WORDS[props.event]}” events to try it on yet. When one arrives, it shows here with what the rule would do.
        </p>
      )}
      {!error && results && results.length > 0 && (
        <>
          <p class="hint">
            Tried on the latest {results.length === 1 ? 'event' : `${results.length} events`}, newest first: {matched} of {results.length}{' '}
            {matched === 1 ? 'matches' : 'match'}.
          </p>
          <ol class="ru-tries">
            {results.map((t) => (
              <TriedItem key={t.event.id} tried={t} nameOf={props.nameOf} />
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
