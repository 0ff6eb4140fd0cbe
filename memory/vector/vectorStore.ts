import type { MemoryKind } from '../types';

/**
 * The long-term tier: embeddings plus a payload copy for filtering. Implementations create their
 * collection/table at `init()` with the embedder's dimension and cosine distance, and refuse to
 * start against an existing one of another dimension. Expired points (`expiresAt` <= now) are
 * never returned and are deleted by `purgeExpired`.
 */
export interface VectorPayload {
  tenant: string;
  team?: string;
  service?: string;
  kind: MemoryKind;
  sessionId?: string;
  text: string;
  importance: number;
  /** Epoch milliseconds. */
  createdAt: number;
  expiresAt: number;
}

export interface VectorPoint {
  /** A UUID (Qdrant accepts only UUIDs or unsigned integers). */
  id: string;
  vector: number[];
  payload: VectorPayload;
}

export interface VectorFilter {
  tenant: string;
  team?: string;
  service?: string;
  kinds?: readonly MemoryKind[];
}

export interface VectorHit {
  id: string;
  /** Cosine similarity, -1..1 (1 = same direction). */
  score: number;
  payload: VectorPayload;
}

export interface VectorStore {
  readonly kind: 'pgvector' | 'qdrant' | 'embedded';
  readonly dimension: number;
  init(): Promise<void>;
  upsert(points: readonly VectorPoint[]): Promise<void>;
  search(vector: readonly number[], filter: VectorFilter, limit: number): Promise<VectorHit[]>;
  delete(ids: readonly string[]): Promise<void>;
  deleteBySession(sessionId: string): Promise<void>;
  purgeExpired(): Promise<void>;
  count(): Promise<number>;
  close(): Promise<void>;
}

export class VectorStoreConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'VectorStoreConfigError';
  }
}
