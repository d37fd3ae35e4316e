// Usage: API calls per day (UTC) drawn as stacked bars, one color per route, over 7, 30 or 90 days, for
// all keys or one (the account key, the dashboard login, a client key). The numbers follow as a table
// for screen readers and for copying, folded away.
import { useMemo, useState } from 'preact/hooks';
import { api, must, type Schemas } from '../../api.ts';
import { Field, Notice, Section, useAsync } from '../../components.tsx';
import { type Series, StackedBars } from './admin/chart.tsx';
import { Choice } from './admin/choice.tsx';
import type { PageProps } from './types.ts';

type UsageRow = Schemas['UsageRow'];

const PERIODS = [
  { value: '7', label: '7 days' },
  { value: '30', label: '30 days' },
  { value: '90', label: '90 days' },
] as const;
type Period = (typeof PERIODS)[number]['value'];
const NAMED_SERIES = 7; // more routes than this fold into "Other routes"
const OTHER = 'other';

/** The last `n` days (UTC, as the API counts them), oldest first. */
export function lastDays(n: number, now = Date.now()): string[] {
  return Array.from({ length: n }, (_, i) => new Date(now - (n - 1 - i) * 86_400_000).toISOString().slice(0, 10));
}

const dayLabel = (day: string) => new Date(`${day}T00:00:00Z`).toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const calls = (n: number) => `${n.toLocaleString()} ${n === 1 ? 'call' : 'calls'}`;
const routeOf = (r: UsageRow) => `${r.method} ${r.route}`;

export function keyWords(key: string): string {
  if (key === 'account') return 'Account key';
  if (key === 'session') return 'Dashboard login';
  if (key.startsWith('client:')) return `Client key ${key.slice('client:'.length)}`;
  return key;
}

function Stat(props: { label: string; value: string; detail?: string; code?: boolean }) {
  return (
    <div class="usage-stat">
      <span class="usage-stat-label">{props.label}</span>
      <strong class={`usage-stat-value${props.code ? ' usage-stat-code' : ''}`}>{props.value}</strong>
      {props.detail && <span class="muted usage-stat-detail">{props.detail}</span>}
    </div>
  );
}

export function UsagePage(_props: PageProps) {
  const [period, setPeriod] = useState<Period>('30');
  const [key, setKey] = useState('all');
  const usage = useAsync(async () => (await must(api.GET('/api/usage', { params: { query: { days: Number(period) } } }))).usage, [period]);

  const view = useMemo(() => {
    const all = usage.data ?? [];
    const keys = [...new Set([...all.map((r) => r.key), ...(key === 'all' ? [] : [key])])].sort();
    const rows = key === 'all' ? all : all.filter((r) => r.key === key);
    const days = lastDays(Number(period));
    const byRoute = new Map<string, number>();
    for (const r of rows) byRoute.set(routeOf(r), (byRoute.get(routeOf(r)) ?? 0) + r.count);
    const ranked = [...byRoute.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const named = ranked.length > NAMED_SERIES + 1 ? ranked.slice(0, NAMED_SERIES) : ranked;
    const series: Series[] = named.map(([route, total], i) => ({ key: route, label: route, color: i, total }));
    const otherTotal = ranked.slice(named.length).reduce((s, [, t]) => s + t, 0);
    if (otherTotal) series.push({ key: OTHER, label: `Other routes (${ranked.length - named.length})`, color: NAMED_SERIES, total: otherTotal });
    const seriesOf = (route: string) => (named.some(([r]) => r === route) ? route : OTHER);
    const cells = new Map<string, number>();
    const perDay = new Map<string, number>();
    for (const r of rows) {
      const cell = `${r.day}|${seriesOf(routeOf(r))}`;
      cells.set(cell, (cells.get(cell) ?? 0) + r.count);
      perDay.set(r.day, (perDay.get(r.day) ?? 0) + r.count);
    }
    // the table: calls per day and route (summed over keys), newest day first
    const table = new Map<string, { day: string; route: string; count: number }>();
    for (const r of rows) {
      const id = `${r.day}|${routeOf(r)}`;
      const row = table.get(id) ?? { day: r.day, route: routeOf(r), count: 0 };
      row.count += r.count;
      table.set(id, row);
    }
    const tableRows = [...table.values()].sort((a, b) => b.day.localeCompare(a.day) || b.count - a.count);
    const total = rows.reduce((s, r) => s + r.count, 0);
    const busiest = [...perDay.entries()].sort((a, b) => b[1] - a[1] || b[0].localeCompare(a[0]))[0];
    const today = days.at(-1)!;
    return { keys, days, series, cells, total, busiest, ranked, tableRows, today: perDay.get(today) ?? 0 };
  }, [usage.data, key, period]);

  const top = view.ranked[0];
  const summary =
    view.total === 0
      ? `API calls per day over the last ${period} days: none yet.`
      : `API calls per day over the last ${period} days, stacked by route: ${calls(view.total)} in total` +
        (view.busiest ? `; busiest day ${dayLabel(view.busiest[0])} with ${calls(view.busiest[1])}` : '') +
        (top ? `; most called route ${top[0]} with ${calls(top[1])}` : '') +
        `; today ${calls(view.today)}.`;

  return (
    <div class="stack">
      <section class="card" aria-label="Filters">
        <div class="usage-filters">
          <Choice label="Period" value={period} options={[...PERIODS]} onChange={setPeriod} />
          <div class="row usage-key">
            <Field label="Key">
              {(id) => (
                <select id={id} value={key} onChange={(e) => setKey(e.currentTarget.value)}>
                  <option value="all">All keys</option>
                  {view.keys.map((k) => (
                    <option key={k} value={k}>
                      {keyWords(k)}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <button type="button" class="secondary small" onClick={usage.reload}>
              Refresh
            </button>
          </div>
        </div>
      </section>
      <Notice kind="error">{usage.error}</Notice>
      {usage.data && (
        <div class="usage-stats">
          <Stat label="Calls" value={view.total.toLocaleString()} detail={`last ${period} days`} />
          <Stat label="Today" value={view.today.toLocaleString()} detail={`${dayLabel(view.days.at(-1)!)} (UTC)`} />
          <Stat label="Busiest day" value={view.busiest ? dayLabel(view.busiest[0]) : '—'} detail={view.busiest ? calls(view.busiest[1]) : undefined} />
          <Stat label="Top route" code value={top ? top[0] : '—'} detail={top ? calls(top[1]) : undefined} />
        </div>
      )}
      {usage.data && (
        <Section title="Calls per day, by route">
          {view.total === 0 ? (
            <p class="muted">No API calls in this period{key === 'all' ? '' : ` with the ${keyWords(key).toLowerCase()}`}.</p>
          ) : (
            <StackedBars
              categories={view.days}
              categoryLabel={dayLabel}
              series={view.series}
              value={(day, s) => view.cells.get(`${day}|${s}`) ?? 0}
              label={summary}
              xTitle="Day (UTC)"
              yTitle="Calls"
              unit={calls}
            />
          )}
          {view.tableRows.length > 0 && (
            <details class="usage-numbers">
              <summary>The numbers</summary>
              <div class="table-wrap">
                <table>
                  <caption class="sr-only">API calls per day and route, newest day first</caption>
                  <thead>
                    <tr>
                      <th scope="col">Day (UTC)</th>
                      <th scope="col">Route</th>
                      <th scope="col" class="adm-num">
                        Calls
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {view.tableRows.map((r) => (
                      <tr key={`${r.day}|${r.route}`}>
                        <td>{r.day}</td>
                        <td class="wrap">
                          <code>{r.route}</code>
                        </td>
                        <td class="adm-num">{r.count.toLocaleString()}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </details>
          )}
        </Section>
      )}
    </div>
  );
}
