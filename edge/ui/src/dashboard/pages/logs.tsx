// Logs: the account's security events (logins, failed logins, key resets, refused or rate-limited calls)
// and application events (numbers, devices, webhooks), newest first, by category, a page at a time.
import { useState } from 'preact/hooks';
import { api, must, type Schemas } from '../../api.ts';
import { Field, Notice, Pager, useAsync, when } from '../../components.tsx';
import { Choice } from './admin/choice.tsx';
import type { PageProps } from './types.ts';

type LogEntry = Schemas['LogEntry'];
type Category = LogEntry['category'] | 'all';

const CATEGORIES: { value: Category; label: string }[] = [
  { value: 'all', label: 'All events' },
  { value: 'security', label: 'Security' },
  { value: 'app', label: 'Application' },
];
const CATEGORY_WORDS: Record<string, string> = { security: 'Security', app: 'Application' };
const SIZES = ['10', '25', '50', '100', '200'] as const;

/** Events that are something refused or failing: marked out in the list. */
const BAD = /failed|refused|denied|rate_limited|invalid/;

/** `login_failed` → `Login failed` */
const eventWords = (event: string) => {
  const s = event.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
};

function LogRow(props: { entry: LogEntry }) {
  const e = props.entry;
  return (
    <tr class={`log-row log-${e.category}${BAD.test(e.event) ? ' log-bad' : ''}`} data-id={e.id}>
      <td class="log-when">
        <time dateTime={e.createdAt}>{when(e.createdAt)}</time>
      </td>
      <td>
        <span class={`badge log-cat log-cat-${e.category}`}>{CATEGORY_WORDS[e.category] ?? e.category}</span>
      </td>
      <td class="log-event">
        <code>{e.event}</code>
        <span class="sr-only"> ({eventWords(e.event)})</span>
      </td>
      <td class="wrap">
        {e.message}
        {e.count > 1 && (
          <span class="log-repeat">
            {' '}
            ×{e.count}
            {e.lastAt ? `, last ${when(e.lastAt)}` : ''}
          </span>
        )}
      </td>
      <td class="log-ip">{e.ip ?? '—'}</td>
    </tr>
  );
}

export function LogsPage(_props: PageProps) {
  const [category, setCategory] = useState<Category>('all');
  const [limit, setLimit] = useState<(typeof SIZES)[number]>('50');
  // the `before` cursor of each page seen so far: [undefined] is the first page
  const [cursors, setCursors] = useState<(number | undefined)[]>([undefined]);
  const before = cursors.at(-1);
  const asked = `${category}|${limit}|${before ?? ''}`;
  const logs = useAsync(async () => {
    const page = await must(
      api.GET('/api/logs', { params: { query: { limit: Number(limit), ...(category === 'all' ? {} : { category }), ...(before ? { before } : {}) } } }),
    );
    return { asked, ...page };
  }, [asked]);
  const first = () => setCursors([undefined]);
  // while another page loads, the last one is not shown under the new filter's name
  const shown = logs.data?.asked === asked ? logs.data : undefined;
  const rows = shown?.logs ?? [];
  return (
    <div class="stack">
      <section class="card" aria-label="Filters">
        <div class="log-filters">
          <Choice
            label="Category"
            value={category}
            options={CATEGORIES}
            onChange={(c) => {
              first();
              setCategory(c);
            }}
          />
          <div class="row log-size">
            <Field label="Per page">
              {(id) => (
                <select
                  id={id}
                  value={limit}
                  onChange={(e) => {
                    first();
                    setLimit(e.currentTarget.value as (typeof SIZES)[number]);
                  }}
                >
                  {SIZES.map((s) => (
                    <option key={s} value={s}>
                      {s}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <button type="button" class="secondary small" onClick={logs.reload}>
              Refresh
            </button>
          </div>
        </div>
      </section>
      <Notice kind="error">{logs.error}</Notice>
      <section class="card" aria-label="Events" aria-busy={logs.loading}>
        {!shown && logs.loading && <p class="muted">Loading…</p>}
        {shown && rows.length === 0 && <p class="muted">No {category === 'all' ? '' : `${CATEGORY_WORDS[category]?.toLowerCase()} `}events yet.</p>}
        {rows.length > 0 && (
          <div class="table-wrap">
            <table class="log-table">
              <caption class="sr-only">
                {CATEGORY_WORDS[category] ?? 'All'} events, newest first, page {cursors.length}
              </caption>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Category</th>
                  <th scope="col">Event</th>
                  <th scope="col">What happened</th>
                  <th scope="col">Address</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((e) => (
                  <LogRow key={e.id} entry={e} />
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager
          page={cursors.length}
          hasNext={!!shown?.nextBefore}
          onNext={() => {
            const next = shown?.nextBefore;
            if (next) setCursors((c) => [...c, next]);
          }}
          onFirst={first}
        />
      </section>
    </div>
  );
}
