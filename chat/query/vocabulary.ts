/**
 * What the live backends say exists, as the query builders consume it. `grounded: false` means the
 * backend was not configured or did not answer, and the builders fall back to the conventional
 * names (http_request_duration_seconds, a `service` label, …).
 */
export interface PromVocabulary {
  grounded: boolean;
  /** Every metric name (`__name__` values, including _bucket/_total series). */
  metrics: string[];
  /** Metric base name → type from /api/v1/metadata (histogram, counter, gauge, summary). */
  types: Record<string, string>;
  labels: string[];
  /** Values of the candidate service labels that exist (service, app, job, …). */
  serviceValues: Record<string, string[]>;
  /** Values of the candidate environment labels that exist. */
  envValues: Record<string, string[]>;
}

export interface LokiVocabulary {
  grounded: boolean;
  labels: string[];
  serviceValues: Record<string, string[]>;
  envValues: Record<string, string[]>;
}

export interface TempoVocabulary {
  grounded: boolean;
  tags: string[];
}

export const SERVICE_LABELS = ['service', 'service_name', 'app', 'application', 'job', 'container'];
export const ENV_LABELS = ['environment', 'env', 'deployment_environment', 'namespace'];

export const UNGROUNDED_PROM: PromVocabulary = { grounded: false, metrics: [], types: {}, labels: [], serviceValues: {}, envValues: {} };
export const UNGROUNDED_LOKI: LokiVocabulary = { grounded: false, labels: [], serviceValues: {}, envValues: {} };
export const UNGROUNDED_TEMPO: TempoVocabulary = { grounded: false, tags: [] };

/** Closest known value: exact, then prefix/suffix/containment, then edit distance ≤ 2. */
export function closest(wanted: string, values: readonly string[]): string | undefined {
  const w = wanted.toLowerCase();
  const exact = values.find((v) => v.toLowerCase() === w);
  if (exact) return exact;
  const partial = values.filter((v) => {
    const l = v.toLowerCase();
    return l.startsWith(`${w}-`) || l.endsWith(`-${w}`) || l.startsWith(w) || l.includes(w);
  });
  if (partial.length) return partial.sort((a, b) => a.length - b.length)[0];
  let best: { v: string; d: number } | undefined;
  for (const v of values) {
    const d = editDistance(w, v.toLowerCase());
    if (d <= 2 && (!best || d < best.d)) best = { v, d };
  }
  return best?.v;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length]!;
}

/** Which label carries the service, and the grounded value for `service` when one matches. */
export function groundLabel(wanted: string | undefined, values: Record<string, string[]>, fallbackLabel: string): { label: string; value?: string; matched: boolean } {
  const labels = Object.keys(values);
  if (wanted) {
    for (const label of labels) {
      const hit = closest(wanted, values[label] ?? []);
      if (hit) return { label, value: hit, matched: true };
    }
  }
  const label = labels[0] ?? fallbackLabel;
  return { label, ...(wanted ? { value: wanted } : {}), matched: false };
}

/** A PromQL/LogQL string literal. */
export function quoteLabel(value: string): string {
  return JSON.stringify(value);
}
