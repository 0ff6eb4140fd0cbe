import { Index, MetricKind, ScalarKind } from 'usearch';

export interface HnswIndexOptions {
  /** Graph degree (usearch's `connectivity`). */
  connectivity?: number;
  /** Candidate list while inserting (`expansion_add`): higher builds a better graph, slower. */
  expansionAdd?: number;
  /** Candidate list while searching (`expansion_search`). */
  expansionSearch?: number;
}

/**
 * An approximate nearest-neighbour index (HNSW) over string ids, on Unum's `usearch` (maintained,
 * ships prebuilt N-API binaries for Linux/macOS/Windows, so nothing compiles at install). Hand-writing
 * an HNSW would be neither faster nor better tested. The graph stores unit vectors quantised to
 * int8 (inner product on unit vectors = cosine; int8 needs components within ±1, hence the
 * normalisation here): ~4× less memory and several times faster inserts than float32. Its ranking
 * is only a candidate list that the caller re-scores exactly.
 *
 * usearch keys are unsigned 64-bit integers: each insertion gets a fresh key, so replacing a
 * point is remove + add and no key is ever reused while a tombstone may still mention it.
 * Removal leaves tombstones in the graph; when they outnumber half the live points the graph is
 * rebuilt from the live vectors the caller hands back (`rebuild`).
 */
function normalise(v: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i]! * v[i]!;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] = v[i]! / norm;
  return v;
}

export class HnswIndex {
  private index: Index;
  private readonly keyOf = new Map<string, bigint>();
  private readonly idOf = new Map<bigint, string>();
  private nextKey = 1n;
  private tombstones = 0;

  constructor(
    private readonly dimension: number,
    private readonly options: HnswIndexOptions = {},
  ) {
    this.index = this.create();
  }

  get size(): number {
    return this.keyOf.size;
  }

  /** More tombstones than this fraction of live points: time to `rebuild`. */
  get needsRebuild(): boolean {
    return this.tombstones > Math.max(1000, this.keyOf.size / 2);
  }

  /** Adds (or replaces) points; `vectors` holds `ids.length` rows of `dimension` floats. */
  add(ids: readonly string[], vectors: Float32Array): void {
    if (ids.length === 0) return;
    if (vectors.length !== ids.length * this.dimension) throw new Error(`expected ${ids.length} × ${this.dimension} floats, got ${vectors.length}`);
    const keys = new BigUint64Array(ids.length);
    ids.forEach((id, i) => {
      this.remove(id);
      const key = this.nextKey++;
      keys[i] = key;
      this.keyOf.set(id, key);
      this.idOf.set(key, id);
    });
    const unit = vectors.slice();
    for (let row = 0; row < ids.length; row++) normalise(unit.subarray(row * this.dimension, (row + 1) * this.dimension));
    // One thread: the caller is the event loop; usearch would otherwise start a thread per core per call.
    this.index.add(keys, unit, 1);
  }

  remove(id: string): void {
    const key = this.keyOf.get(id);
    if (key === undefined) return;
    this.index.remove(key);
    this.keyOf.delete(id);
    this.idOf.delete(key);
    this.tombstones++;
  }

  /** Up to `k` ids, nearest first (approximate). */
  search(query: Float32Array, k: number): string[] {
    const wanted = Math.min(k, this.keyOf.size);
    if (wanted <= 0) return [];
    const found = this.index.search(normalise(query.slice()), wanted, 1);
    const ids: string[] = [];
    for (const key of found.keys) {
      const id = this.idOf.get(key);
      if (id !== undefined) ids.push(id);
    }
    return ids;
  }

  /** A fresh graph from the live points (drops tombstones). */
  rebuild(points: Iterable<[string, ArrayLike<number>]>): void {
    this.index = this.create();
    this.keyOf.clear();
    this.idOf.clear();
    this.tombstones = 0;
    const batch: string[] = [];
    let rows = new Float32Array(this.dimension * 1024);
    const flush = () => {
      this.add(batch, rows.subarray(0, batch.length * this.dimension));
      batch.length = 0;
    };
    for (const [id, vector] of points) {
      rows.set(vector, batch.length * this.dimension);
      batch.push(id);
      if (batch.length === 1024) {
        flush();
        rows = new Float32Array(this.dimension * 1024);
      }
    }
    if (batch.length > 0) flush();
  }

  private create(): Index {
    return new Index({
      dimensions: this.dimension,
      metric: MetricKind.IP,
      quantization: ScalarKind.I8,
      connectivity: this.options.connectivity ?? 16,
      expansion_add: this.options.expansionAdd ?? 64,
      expansion_search: this.options.expansionSearch ?? 64,
      multi: false,
    });
  }
}
