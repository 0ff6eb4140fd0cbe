/**
 * Large query results never go into workflow history or an LLM context as-is: they are reduced to
 * at most `maxSeries` series (the largest by peak value, i.e. a topk) of at most `maxPoints`
 * evenly-spaced points each, plus per-series statistics computed over ALL points.
 */
export interface SeriesStats {
  min: number;
  max: number;
  avg: number;
  first: number;
  last: number;
  count: number;
}

export interface SeriesSummary {
  labels: Record<string, string>;
  stats: SeriesStats;
  /** [unix seconds, value] pairs, downsampled. */
  points: [number, number][];
}

export interface ResultSummary {
  resultType: string;
  seriesCount: number;
  /** true when series or points were dropped from `series`. */
  truncated: boolean;
  series: SeriesSummary[];
}

export interface SummaryLimits {
  maxSeries: number;
  maxPoints: number;
}

export const DEFAULT_LIMITS: SummaryLimits = { maxSeries: 20, maxPoints: 60 };

export function statsOf(values: number[]): SeriesStats {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return { min: NaN, max: NaN, avg: NaN, first: NaN, last: NaN, count: 0 };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of finite) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { min, max, avg: sum / finite.length, first: finite[0]!, last: finite[finite.length - 1]!, count: finite.length };
}

export function downsample<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  const out: T[] = [];
  const step = (items.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) out.push(items[Math.round(i * step)]!);
  return out;
}

/** Series as (labels, points) pairs, whatever the backend's shape was. */
export function summariseSeries(
  resultType: string,
  series: { labels: Record<string, string>; points: [number, number][] }[],
  limits: SummaryLimits = DEFAULT_LIMITS,
): ResultSummary {
  const withStats = series.map((s) => ({ ...s, stats: statsOf(s.points.map((p) => p[1])) }));
  withStats.sort((a, b) => (Number.isNaN(b.stats.max) ? -Infinity : b.stats.max) - (Number.isNaN(a.stats.max) ? -Infinity : a.stats.max));
  const kept = withStats.slice(0, limits.maxSeries);
  let truncated = kept.length < withStats.length;
  const out = kept.map((s) => {
    const points = downsample(s.points, limits.maxPoints);
    if (points.length < s.points.length) truncated = true;
    return { labels: s.labels, stats: s.stats, points };
  });
  return { resultType, seriesCount: series.length, truncated, series: out };
}
