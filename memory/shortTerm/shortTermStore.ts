import type { FocusEntity, Turn } from '../types';

/**
 * The short-term tier: the last N turns and the entities in focus per session, plus the session's
 * placeholder vault (raw values behind `<EMAIL_1>`). Every key expires `ttlSeconds` after the
 * session's last write, so an idle conversation is forgotten without a sweeper. All operations are
 * O(1) or O(N) in the configured window, never in the session's length.
 */
export interface ShortTermStore {
  readonly kind: 'redis' | 'in-process';
  pushTurn(sessionId: string, turn: Turn): Promise<void>;
  /** Newest last, at most `limit` (and never more than the window). */
  recentTurns(sessionId: string, limit?: number): Promise<Turn[]>;
  touchEntities(sessionId: string, entities: readonly FocusEntity[]): Promise<void>;
  /** Most recently mentioned first. */
  focusEntities(sessionId: string, limit?: number): Promise<FocusEntity[]>;
  saveVault(sessionId: string, entries: readonly [string, string][]): Promise<void>;
  loadVault(sessionId: string): Promise<[string, string][]>;
  forget(sessionId: string): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface ShortTermOptions {
  ttlSeconds: number;
  maxTurns: number;
  maxEntities?: number;
}
