import type { LokiClient } from '../../adapters/lokiClient';
import type { PrometheusClient } from '../../adapters/prometheusClient';
import type { TempoClient } from '../../adapters/tempoClient';
import type { EvidenceRecorder } from '../gather/evidenceRecorder';
import { candidateSelectors, matchesSelector, type ServiceSelector } from './identity';

/**
 * Discovery before gathering: the target's vocabulary, learnt from the backends themselves —
 * Prometheus metric names (`label_values(__name__)`, which also covers backfilled blocks that
 * /api/v1/metadata never sees), label names and metadata; Loki label names; Tempo tag names —
 * and which selectors the incident's service actually has (/api/v1/series, bounded).
 *
 * Cached per investigation (incident id) in the worker process for CACHE_TTL_MS: a later round or
 * re-check reuses it and spends no queries; another worker simply discovers again. Every call that
 * did run is recorded as evidence (kind `discovery`) like any query.
 */
export interface PromVocabulary {
  metrics: Set<string>;
  labels: Set<string>;
  /** metric family → type from /api/v1/metadata (scraped targets only). */
  types: Map<string, string>;
}

export interface ServiceMatch {
  service: string;
  /** The selectors that matched at least one series (empty: the service has no series). */
  selectors: ServiceSelector[];
  /** Metric names seen on the service's series (bounded). */
  metrics: string[];
  tried: string[];
}

const CACHE_TTL_MS = 15 * 60_000;
const CACHE_MAX = 500;
/** Series fetched to map a service (bounded: the answer is only inspected for labels). */
export const SERIES_LIMIT = 500;

interface Entry<T> {
  at: number;
  value: T;
}
class InvestigationCache {
  private readonly entries = new Map<string, Entry<unknown>>();
  get<T>(key: string): T | undefined {
    const e = this.entries.get(key);
    if (!e || Date.now() - e.at > CACHE_TTL_MS) return undefined;
    return e.value as T;
  }
  set<T>(key: string, value: T): void {
    if (this.entries.size >= CACHE_MAX) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { at: Date.now(), value });
  }
}
const cache = new InvestigationCache();

export async function promVocabulary(prom: PrometheusClient, rec: EvidenceRecorder, incidentId: string): Promise<PromVocabulary | undefined> {
  const key = `${incidentId}:prom`;
  const hit = cache.get<PromVocabulary>(key);
  if (hit) return hit;
  const [names, labels, metadata] = await Promise.all([
    rec.run(
      'discovery',
      'promql',
      'prometheus',
      'label_values(__name__)',
      () => prom.labelValues('__name__'),
      (v) => ({ summary: `${v.length} metric names`, body: v.slice(0, 5000), count: v.length }),
    ),
    rec.run(
      'discovery',
      'promql',
      'prometheus',
      'labels()',
      () => prom.labels(),
      (v) => ({ summary: `${v.length} label names: ${v.slice(0, 20).join(', ')}`, body: v, count: v.length }),
    ),
    rec.run(
      'discovery',
      'promql',
      'prometheus',
      'metadata()',
      () => prom.metadata(),
      (v) => ({ summary: `${Object.keys(v).length} metric families with metadata`, body: Object.fromEntries(Object.entries(v).slice(0, 2000)), count: Object.keys(v).length }),
    ),
  ]);
  if (!names.value) return undefined;
  const vocab: PromVocabulary = {
    metrics: new Set(names.value),
    labels: new Set(labels.value ?? []),
    types: new Map(Object.entries(metadata.value ?? {}).map(([k, v]) => [k, v[0]?.type ?? 'unknown'])),
  };
  cache.set(key, vocab);
  return vocab;
}

/** Which identity labels carry the service's name (job="x", app="x", pod=~"x-.+", …). */
export async function matchService(
  prom: PrometheusClient,
  rec: EvidenceRecorder,
  incidentId: string,
  service: string,
  labels: ReadonlySet<string>,
  window: { start: Date; end: Date },
  scope: string[] = [],
): Promise<ServiceMatch | undefined> {
  const key = `${incidentId}:svc:${service}`;
  const hit = cache.get<ServiceMatch>(key);
  if (hit) return hit;
  // Only labels the target has at all: a matcher on an unknown label can match nothing.
  const candidates = candidateSelectors(service).filter((c) => labels.size === 0 || labels.has(c.label));
  const tried = candidates.map((c) => c.matcher);
  if (candidates.length === 0) {
    const none: ServiceMatch = { service, selectors: [], metrics: [], tried: candidateSelectors(service).map((c) => c.matcher) };
    cache.set(key, none);
    return none;
  }
  // One /api/v1/series call: several match[] are a union. Scope matchers (cluster, namespace) on each.
  const matchers = candidates.map((c) => `{${[c.matcher, ...scope].join(',')}}`);
  const { value } = await rec.run(
    'discovery',
    'promql',
    'prometheus',
    `series(${matchers.join(' or ')})`,
    () => prom.series(matchers, window.start, window.end, SERIES_LIMIT),
    (series) => ({
      summary: `${series.length}${series.length >= SERIES_LIMIT ? '+' : ''} series for "${service}"`,
      body: series.slice(0, 200),
      count: series.length,
    }),
    window,
  );
  if (!value) return undefined;
  const selectors = candidates.filter((c) => value.some((s) => matchesSelector(s, c)));
  const metrics = [...new Set(value.map((s) => s.__name__).filter((m): m is string => Boolean(m)))].slice(0, 50);
  const match: ServiceMatch = { service, selectors, metrics, tried };
  cache.set(key, match);
  return match;
}

/** Loki's label names, to find which one names services (service, service_name, app, job, …). */
export async function lokiLabels(loki: LokiClient, rec: EvidenceRecorder, incidentId: string, window: { start: Date; end: Date }): Promise<string[] | undefined> {
  const key = `${incidentId}:loki`;
  const hit = cache.get<string[]>(key);
  if (hit) return hit;
  const { value } = await rec.run(
    'discovery',
    'logql',
    'loki',
    'labels()',
    () => loki.labels(window.start, window.end),
    (v) => ({ summary: `${v.length} label names: ${v.slice(0, 20).join(', ')}`, body: v, count: v.length }),
    window,
  );
  if (value) cache.set(key, value);
  return value;
}

/** Tempo's tag names (does it have service.name, http status codes, …). */
export async function tempoTags(tempo: TempoClient, rec: EvidenceRecorder, incidentId: string): Promise<string[] | undefined> {
  const key = `${incidentId}:tempo`;
  const hit = cache.get<string[]>(key);
  if (hit) return hit;
  const { value } = await rec.run(
    'discovery',
    'traceql',
    'tempo',
    'tags()',
    () => tempo.tags(),
    (v) => ({ summary: `${v.length} tag names: ${v.slice(0, 20).join(', ')}`, body: v, count: v.length }),
  );
  if (value) cache.set(key, value);
  return value;
}
