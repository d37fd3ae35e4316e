// A stacked bar chart drawn as SVG: one bar per category on the x axis (a day), one colored segment per
// series (a route), a y axis of counts with gridlines, axis titles and a legend. Drawn at the width of its
// container (measured), so its text stays readable on a phone. No inline styles: colors are SVG fill
// attributes, and the legend's swatches are classes (admin.css).
import { useEffect, useRef, useState } from 'preact/hooks';

/** The series colors; the last is for "other". Keep in step with .adm-swatch-N in admin.css. */
export const PALETTE = ['#0072b2', '#e69f00', '#009e73', '#cc79a7', '#d55e00', '#56b4e9', '#8c6d1f', '#8a96a3'];

export interface Series {
  key: string;
  label: string;
  color: number;
  total: number;
}

/** 0, a step and its multiples up to at least `max`, the step being 1, 2 or 5 × 10^k. */
export function ticks(max: number, count = 4): number[] {
  if (max <= 0) return [0, 1];
  const raw = max / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow);
  const out: number[] = [];
  for (let v = 0; v < max + step; v += step) out.push(v);
  return out;
}

function useWidth(fallback: number) {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => setWidth(Math.max(240, Math.floor(el.clientWidth)));
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  return { ref, width };
}

/** An x-axis label centred under its bar, or kept inside the chart at either edge. */
function AxisLabel(props: { x: number; y: number; width: number; text: string }) {
  const half = props.text.length * 3.3; // about half its width at 11px
  const anchor = props.x - half < 0 ? 'start' : props.x + half > props.width ? 'end' : 'middle';
  const x = anchor === 'start' ? 0 : anchor === 'end' ? props.width - 1 : props.x;
  return (
    <text x={x} y={props.y} text-anchor={anchor}>
      {props.text}
    </text>
  );
}

export function StackedBars(props: {
  categories: string[];
  categoryLabel: (c: string) => string;
  series: Series[];
  value: (category: string, series: string) => number;
  label: string;
  xTitle: string;
  yTitle: string;
  unit: (n: number) => string;
}) {
  const { ref, width } = useWidth(640);
  const height = width < 480 ? 220 : 260;
  const m = { top: 16, right: 14, bottom: 46, left: 46 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const n = Math.max(1, props.categories.length);
  const band = plotW / n;
  const barW = Math.max(2, Math.min(44, band * 0.72));
  const totals = props.categories.map((c) => props.series.reduce((sum, s) => sum + props.value(c, s.key), 0));
  const yTicks = ticks(Math.max(0, ...totals));
  const top = yTicks.at(-1)!;
  const y = (v: number) => m.top + plotH - (v / top) * plotH;
  // label every k-th day so labels never overlap, counting back from the newest (always labelled)
  const every = Math.max(1, Math.ceil(52 / band));
  return (
    <div ref={ref} class="adm-chart-wrap">
      <svg class="chart adm-chart" role="img" aria-label={props.label} viewBox={`0 0 ${width} ${height}`} width={width} height={height}>
        {yTicks.map((t) => (
          <g key={t}>
            <line x1={m.left} x2={width - m.right} y1={y(t)} y2={y(t)} stroke={t === 0 ? '#8a96a3' : '#e3e8ed'} stroke-width={1} />
            <text x={m.left - 6} y={y(t)} dy="0.32em" text-anchor="end">
              {t}
            </text>
          </g>
        ))}
        {props.categories.map((c, i) => {
          const x = m.left + i * band + (band - barW) / 2;
          let acc = 0;
          return (
            <g key={c} class="adm-bar" data-day={c}>
              {props.series.map((s) => {
                const v = props.value(c, s.key);
                if (!v) return null;
                const y0 = y(acc);
                acc += v;
                const y1 = y(acc);
                return (
                  <rect key={s.key} x={x} y={y1} width={barW} height={Math.max(1, y0 - y1)} fill={PALETTE[s.color]} data-series={s.key}>
                    <title>{`${props.categoryLabel(c)} · ${s.label}: ${props.unit(v)}`}</title>
                  </rect>
                );
              })}
              {band >= 24 && totals[i]! > 0 && (
                <text class="adm-total" x={x + barW / 2} y={y(totals[i]!) - 4} text-anchor="middle">
                  {totals[i]}
                </text>
              )}
              {(n - 1 - i) % every === 0 && <AxisLabel x={m.left + i * band + band / 2} y={m.top + plotH + 16} width={width} text={props.categoryLabel(c)} />}
            </g>
          );
        })}
        <text class="adm-axis-title" x={m.left + plotW / 2} y={height - 6} text-anchor="middle">
          {props.xTitle}
        </text>
        <text class="adm-axis-title" transform={`translate(12 ${m.top + plotH / 2}) rotate(-90)`} text-anchor="middle">
          {props.yTitle}
        </text>
      </svg>
      <ul class="legend adm-legend" aria-label="Legend">
        {props.series.map((s) => (
          <li key={s.key}>
            <span class={`adm-swatch-${s.color}`}>{s.label}</span> <small class="muted">{props.unit(s.total)}</small>
          </li>
        ))}
      </ul>
    </div>
  );
}
