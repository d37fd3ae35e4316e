// A rule's run log (GET /api/rules/{id}/runs), newest first: each run's time, status and reason, the event
// it matched, and each action's outcome (status, code, error, what it made: a message id, an outbox id…).
// "Load more" follows the cursor; while a run is pending the first page is asked again every 3 s.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type Schemas } from '../../../api.ts';
import { Notice, Section, errorText } from '../../../components.tsx';
import { withCursor } from '../data/paging.ts';
import { Pill, Stamp, type Tone } from '../data/ui.tsx';
import type { Rule } from './model.ts';
import { ACTION_WORDS, EVENT_WORDS, eventWords } from './words.ts';

type Run = Schemas['RuleRun'];
type Step = Schemas['RuleRunStep'];

const LIMIT = 20;
const PENDING_EVERY_MS = 3_000;

const RUN_WORDS: Record<Run['status'], [string, Tone]> = {
  pending: ['Pending', 'info'],
  done: ['Done', 'ok'],
  failed: ['Failed', 'bad'],
  skipped: ['Skipped', 'warn'],
};
const STEP_WORDS: Record<Step['status'], [string, Tone]> = {
  pending: ['Pending', 'info'],
  sending: ['Sending', 'warn'],
  done: ['Done', 'ok'],
  failed: ['Failed', 'bad'],
  skipped: ['Skipped', 'muted'],
};

const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

function StepItem(props: { step: Step; n: number }) {
  const s = props.step;
  const [word, tone] = STEP_WORDS[s.status] ?? [s.status, 'muted'];
  const result = Object.entries(s.result ?? {}).filter(([, v]) => v !== null && v !== undefined && v !== '');
  return (
    <li class="ru-step" data-type={s.type} data-status={s.status}>
      <span class="ru-step-head">
        <span class="ru-action-n">{props.n}</span>
        <strong>{ACTION_WORDS[s.type] ?? s.type}</strong>
        <Pill tone={tone}>{word}</Pill>
        {s.attempts > 1 && <small class="muted">{s.attempts} attempts</small>}
        {s.code && <code class="ru-code">{s.code}</code>}
      </span>
      {s.error && <small class="dt-error">{s.error}</small>}
      {result.length > 0 && (
        <span class="ru-result">
          {result.map(([k, v]) => (
            <code key={k}>
              {k}: {show(v)}
            </code>
          ))}
        </span>
      )}
    </li>
  );
}

function RunItem(props: { run: Run }) {
  const r = props.run;
  const [word, tone] = RUN_WORDS[r.status] ?? [r.status, 'muted'];
  const ev = r.event ? eventWords(r.event) : null;
  return (
    <li class="ru-run" data-id={r.id} data-status={r.status}>
      <div class="ru-run-head">
        <Pill tone={tone}>{word}</Pill>
        <Stamp at={r.createdAt} />
        {r.reason && <span class="dt-error ru-reason">{r.reason}</span>}
      </div>
      <p class="ru-run-event">
        {r.event ? (
          <>
            <span class="dt-strong">{EVENT_WORDS[r.event.event as keyof typeof EVENT_WORDS] ?? r.event.event}</span>
            {ev?.who && (
              <>
                {' '}
                from <bdi>{ev.who}</bdi>
              </>
            )}
            {ev?.what && (
              <>
                : <bdi class="ru-run-text">“{ev.what}”</bdi>
              </>
            )}
          </>
        ) : (
          <span class="muted">Event {r.eventId} (no longer kept)</span>
        )}
      </p>
      <ol class="ru-steps-log" aria-label="Actions">
        {r.steps.map((s, i) => (
          <StepItem key={i} step={s} n={i + 1} />
        ))}
      </ol>
    </li>
  );
}

type Listed = { rows: Run[]; next: string | null; pages: number };

export function RunLog(props: { rule: Rule; onClose: () => void }) {
  const id = props.rule.id;
  const [list, setList] = useState<Listed | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const ticket = useRef(0);
  const page = (cursor: string | null) =>
    withCursor(api.GET('/api/rules/{id}/runs', { params: { path: { id }, query: { limit: LIMIT, ...(cursor ? { cursor } : {}) } } }));
  // the newest ask wins; an older answer is dropped
  const run = async (work: () => Promise<(was: Listed | null) => Listed>) => {
    const mine = ++ticket.current;
    setLoading(true);
    try {
      const apply = await work();
      if (mine === ticket.current) {
        setList(apply);
        setError(null);
      }
    } catch (err) {
      if (mine === ticket.current) setError(errorText(err));
    } finally {
      if (mine === ticket.current) setLoading(false);
    }
  };
  /** the first page again, older runs already loaded kept below it */
  const refresh = () =>
    run(async () => {
      const p = await page(null);
      return (was) => {
        const ids = new Set(p.data.runs.map((r) => r.id));
        const older = was ? was.rows.filter((r) => !ids.has(r.id)) : [];
        return { rows: [...p.data.runs, ...older], next: was && was.pages > 1 ? was.next : p.next, pages: was?.pages ?? 1 };
      };
    });
  const more = () => {
    const cursor = list?.next;
    if (!cursor) return;
    void run(async () => {
      const p = await page(cursor);
      return (was) => {
        const seen = new Set(was?.rows.map((r) => r.id));
        return { rows: [...(was?.rows ?? []), ...p.data.runs.filter((r) => !seen.has(r.id))], next: p.next, pages: (was?.pages ?? 1) + 1 };
      };
    });
  };
  useEffect(() => {
    setList(null);
    void refresh();
  }, [id]);
  const pending = list?.rows.some((r) => r.status === 'pending') ?? false;
  useEffect(() => {
    if (!pending) return;
    const timer = window.setTimeout(() => void refresh(), PENDING_EVERY_MS);
    return () => window.clearTimeout(timer);
  }, [pending, list]);

  return (
    <Section
      title={`Run log: ${props.rule.name}`}
      actions={
        <div class="row">
          <button type="button" class="secondary small" disabled={loading} onClick={() => void refresh()}>
            Refresh
          </button>
          <button type="button" class="secondary small" onClick={props.onClose}>
            Close
          </button>
        </div>
      }
    >
      <p class="muted dt-small">Newest first: each event the rule matched and what each action did.</p>
      <Notice kind="error">{error}</Notice>
      {!list && loading && <p class="muted">Loading…</p>}
      {list?.rows.length === 0 && <p class="muted ru-none">No runs yet: the rule has not matched an event since it was saved.</p>}
      {list && list.rows.length > 0 && (
        <ol class="ru-runs" aria-label={`Runs of ${props.rule.name}, newest first`} aria-busy={loading}>
          {list.rows.map((r) => (
            <RunItem key={r.id} run={r} />
          ))}
        </ol>
      )}
      {list?.next && (
        <div class="row ru-more">
          <button type="button" class="secondary small" disabled={loading} onClick={more}>
            Load more
          </button>
        </div>
      )}
    </Section>
  );
}
