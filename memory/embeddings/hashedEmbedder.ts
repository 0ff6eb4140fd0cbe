import { l2normalise, type Embedder } from './embedder';
import { words } from './textFeatures';

export interface HashedEmbedderOptions {
  dimension?: number;
  /** Word bigrams capture phrases ("disk full", "connection pool"). */
  bigrams?: boolean;
  /** Character trigrams of each word make typos and inflections overlap ("postgres" / "postgresql"). */
  charTrigrams?: boolean;
}

/** FNV-1a 32-bit: fast, deterministic, good enough spread for feature hashing. */
function fnv1a(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * The offline default: feature hashing ("hashing trick") of word unigrams, word bigrams and
 * character trigrams into a fixed-size vector, with sublinear term frequency and a signed hash so
 * collisions cancel out rather than add up. No network, no model, ~20 µs per sentence. It matches
 * shared vocabulary (service names, error strings, runbook names), which is most of what an SRE
 * asks about; it does not know synonyms ("OOM" vs "out of memory") the way a sentence model does.
 */
export class HashedEmbedder implements Embedder {
  readonly name: string;
  readonly dimension: number;
  private readonly bigrams: boolean;
  private readonly charTrigrams: boolean;

  constructor(options: HashedEmbedderOptions = {}) {
    this.dimension = options.dimension ?? 384;
    this.bigrams = options.bigrams ?? true;
    this.charTrigrams = options.charTrigrams ?? true;
    this.name = `hashed-${this.bigrams ? 'w12' : 'w1'}${this.charTrigrams ? 'c3' : ''}-${this.dimension}`;
  }

  async embed(texts: readonly string[]): Promise<number[][]> {
    return texts.map((t) => this.embedOne(t));
  }

  embedOne(text: string): number[] {
    const counts = new Map<string, number>();
    const add = (feature: string, weight: number) => counts.set(feature, (counts.get(feature) ?? 0) + weight);
    const tokens = words(text);
    tokens.forEach((w, i) => {
      add(`w:${w}`, 1);
      if (this.bigrams && i > 0) add(`b:${tokens[i - 1]}|${w}`, 0.7);
      if (this.charTrigrams && w.length > 3) {
        const padded = `^${w}$`;
        for (let j = 0; j + 3 <= padded.length; j++) add(`c:${padded.slice(j, j + 3)}`, 0.25);
      }
    });
    const v = new Float64Array(this.dimension);
    for (const [feature, count] of counts) {
      const h = fnv1a(feature);
      const sign = (fnv1a(feature, 0x9747b28c) & 1) === 0 ? 1 : -1;
      v[h % this.dimension]! += sign * (1 + Math.log(count));
    }
    return l2normalise(v);
  }
}
