/**
 * Text → vector. Every embedder returns L2-normalised vectors of `dimension`, so cosine similarity
 * is a dot product in every vector store.
 */
export interface Embedder {
  /** Stable name stored with vectors: switching embedders must not mix incompatible vectors. */
  readonly name: string;
  readonly dimension: number;
  embed(texts: readonly string[]): Promise<number[][]>;
}

export function l2normalise(v: Float64Array | number[]): number[] {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum) || 1;
  return Array.from(v, (x) => x / norm);
}

export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += (a[i] ?? 0) * (b[i] ?? 0);
  return dot;
}
