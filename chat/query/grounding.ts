import type { LokiClient } from '../../adapters/lokiClient';
import type { PrometheusClient } from '../../adapters/prometheusClient';
import type { TempoClient } from '../../adapters/tempoClient';
import { ENV_LABELS, SERVICE_LABELS, UNGROUNDED_LOKI, UNGROUNDED_PROM, UNGROUNDED_TEMPO, type LokiVocabulary, type PromVocabulary, type TempoVocabulary } from './vocabulary';

/**
 * Reads what really exists from the live backends (Prometheus /api/v1/metadata, /api/v1/labels and
 * label values; Loki labels and values; Tempo tags) and keeps it for `ttlMs`, so translation uses
 * this installation's metric, label and service names. A backend that fails is reported as
 * ungrounded (the builders then use conventional names) and retried after the TTL.
 */
export interface GroundingBackends {
  prometheus?: Pick<PrometheusClient, 'labels' | 'labelValues' | 'metadata'>;
  loki?: Pick<LokiClient, 'labels' | 'labelValues'>;
  tempo?: Pick<TempoClient, 'tags'>;
}

interface Cached<T> {
  at: number;
  value: Promise<T>;
}

export class Grounding {
  private prom?: Cached<PromVocabulary>;
  private lokiVocab?: Cached<LokiVocabulary>;
  private tempoVocab?: Cached<TempoVocabulary>;

  constructor(
    private readonly backends: GroundingBackends,
    private readonly ttlMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  private cached<T>(slot: Cached<T> | undefined, load: () => Promise<T>, fallback: T, set: (c: Cached<T>) => void): Promise<T> {
    if (slot && this.now() - slot.at < this.ttlMs) return slot.value;
    const value = load().catch(() => fallback);
    set({ at: this.now(), value });
    return value;
  }

  prometheus(): Promise<PromVocabulary> {
    const prom = this.backends.prometheus;
    if (!prom) return Promise.resolve(UNGROUNDED_PROM);
    return this.cached(
      this.prom,
      async () => {
        const [names, labels, metadata] = await Promise.all([prom.labelValues('__name__'), prom.labels(), prom.metadata().catch(() => ({}))]);
        const types: Record<string, string> = {};
        for (const [name, entries] of Object.entries(metadata)) if (entries[0]) types[name] = entries[0].type;
        return {
          grounded: true,
          metrics: names,
          types,
          labels,
          serviceValues: await valuesOf(labels, SERVICE_LABELS, (l) => prom.labelValues(l)),
          envValues: await valuesOf(labels, ENV_LABELS, (l) => prom.labelValues(l)),
        };
      },
      UNGROUNDED_PROM,
      (c) => (this.prom = c),
    );
  }

  loki(): Promise<LokiVocabulary> {
    const loki = this.backends.loki;
    if (!loki) return Promise.resolve(UNGROUNDED_LOKI);
    return this.cached(
      this.lokiVocab,
      async () => {
        const labels = await loki.labels();
        return {
          grounded: true,
          labels,
          serviceValues: await valuesOf(labels, SERVICE_LABELS, (l) => loki.labelValues(l)),
          envValues: await valuesOf(labels, ENV_LABELS, (l) => loki.labelValues(l)),
        };
      },
      UNGROUNDED_LOKI,
      (c) => (this.lokiVocab = c),
    );
  }

  tempo(): Promise<TempoVocabulary> {
    const tempo = this.backends.tempo;
    if (!tempo) return Promise.resolve(UNGROUNDED_TEMPO);
    return this.cached(
      this.tempoVocab,
      async () => ({ grounded: true, tags: await tempo.tags() }),
      UNGROUNDED_TEMPO,
      (c) => (this.tempoVocab = c),
    );
  }

  /** Every service name any backend knows: fed to entity extraction. */
  async knownServices(): Promise<string[]> {
    const [p, l] = await Promise.all([this.prometheus(), this.loki()]);
    return [...new Set([...Object.values(p.serviceValues).flat(), ...Object.values(l.serviceValues).flat()])].filter((s) => /^[a-z][a-z0-9-]{1,40}$/i.test(s));
  }
}

async function valuesOf(present: readonly string[], candidates: readonly string[], load: (label: string) => Promise<string[]>): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const label of candidates) {
    if (!present.includes(label)) continue;
    out[label] = (await load(label).catch(() => [])).slice(0, 2000);
  }
  return out;
}
