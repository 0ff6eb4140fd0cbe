/**
 * Before/after comparison around the incident's pivot (the alert's start): a cheap, robust change
 * detector. Means are used rather than a CUSUM because windows are short and sparse; the ratio is
 * smoothed by `floor` so a jump from exactly zero does not become infinity.
 */
export interface Change {
  before: number;
  after: number;
  ratio: number;
}

export function changeAround(points: readonly (readonly [number, number])[], pivotSec: number, floor = 1e-3): Change | undefined {
  const before: number[] = [];
  const after: number[] = [];
  for (const [t, v] of points) {
    if (!Number.isFinite(v)) continue;
    (t < pivotSec ? before : after).push(v);
  }
  if (after.length === 0) return undefined;
  const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  const b = mean(before);
  const a = mean(after);
  return { before: b, after: a, ratio: (a + floor) / (b + floor) };
}

/** Weight of a rise: nothing below 1.5×, growing with log10 of the ratio, capped at `max`. */
export function riseWeight(change: Change, base: number, max: number): number {
  if (change.ratio < 1.5) return 0;
  return Math.min(max, base + Math.log10(change.ratio) * 0.1);
}
