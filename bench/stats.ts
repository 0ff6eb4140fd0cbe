/** Percentiles over raw samples (nearest-rank), for benchmark reports. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function summary(samples: readonly number[]): { n: number; p50: number; p95: number; max: number } {
  return { n: samples.length, p50: percentile(samples, 50), p95: percentile(samples, 95), max: samples.reduce((m, x) => Math.max(m, x), -Infinity) }; // no spread: 100 000s of samples overflow the stack
}

export function fmt(ms: number): string {
  return `${ms.toFixed(1)} ms`;
}
