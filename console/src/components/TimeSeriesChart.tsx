import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** Prometheus matrix results (`[{ metric, values: [[t, "v"]] }]`) plotted with uPlot. */
export interface MatrixSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

const COLOURS = ['#2f6fdf', '#d9480f', '#2b8a3e', '#ae3ec9', '#e67700', '#0c8599', '#c2255c', '#5c940d'];

function labelOf(metric: Record<string, string>): string {
  const entries = Object.entries(metric).filter(([k]) => k !== '__name__');
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(', ') : (metric.__name__ ?? 'value');
}

/** `range`: the window the query covered (epoch seconds), so a sparse result is drawn in its real time frame. */
export function TimeSeriesChart({ series, title, range }: { series: MatrixSeries[]; title: string; range?: [number, number] }) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = host.current;
    if (!el || series.length === 0) return;
    const shown = series.slice(0, COLOURS.length);
    const xs = [...new Set(shown.flatMap((s) => s.values.map(([t]) => t)))].sort((a, b) => a - b);
    const columns = shown.map((s) => {
      const byT = new Map(s.values.map(([t, v]) => [t, Number(v)]));
      return xs.map((t) => byT.get(t) ?? null);
    });
    const dark = window.matchMedia?.('(prefers-color-scheme: dark)').matches;
    const axis = { stroke: dark ? '#c9d1d9' : '#24292f', grid: { stroke: dark ? '#30363d' : '#e5e7eb' } };
    const plot = new uPlot(
      {
        width: Math.max(280, el.clientWidth || 600),
        height: 220,
        series: [{}, ...shown.map((s, i) => ({ label: labelOf(s.metric), stroke: COLOURS[i]!, width: 1.5, spanGaps: true }))],
        axes: [axis, axis],
        legend: { show: true },
        ...(range ? { scales: { x: { time: true, range: (): uPlot.Range.MinMax => range } } } : {}),
      },
      [xs, ...columns] as uPlot.AlignedData,
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(280, el.clientWidth), height: 220 }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [series, range]);
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <div ref={host} data-testid="chart" role="img" aria-label={`time series: ${title}`} />
    </figure>
  );
}
