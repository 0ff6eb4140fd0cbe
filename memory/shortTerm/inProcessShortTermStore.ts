import type { FocusEntity, Turn } from '../types';
import type { ShortTermOptions, ShortTermStore } from './shortTermStore';

interface Slot {
  turns: Turn[];
  entities: Map<string, FocusEntity>;
  vault: [string, string][];
  expiresAt: number;
}

/**
 * Single-process dev mode without REDIS_URL: the same contract in a Map. Expiry is checked on
 * access and swept lazily on writes, so memory stays bounded by the live sessions.
 */
export class InProcessShortTermStore implements ShortTermStore {
  readonly kind = 'in-process' as const;
  private readonly slots = new Map<string, Slot>();
  private writes = 0;

  constructor(
    private readonly options: ShortTermOptions,
    private readonly now: () => number = Date.now,
  ) {}

  async pushTurn(sessionId: string, turn: Turn): Promise<void> {
    const slot = this.slot(sessionId);
    slot.turns.push(turn);
    if (slot.turns.length > this.options.maxTurns) slot.turns.splice(0, slot.turns.length - this.options.maxTurns);
  }

  async recentTurns(sessionId: string, limit = this.options.maxTurns): Promise<Turn[]> {
    const turns = this.live(sessionId)?.turns ?? [];
    return turns.slice(Math.max(0, turns.length - limit)).map((t) => ({ ...t }));
  }

  async touchEntities(sessionId: string, entities: readonly FocusEntity[]): Promise<void> {
    const slot = this.slot(sessionId);
    for (const e of entities) slot.entities.set(`${e.type}\u0000${e.value}`, { ...e });
    const max = this.options.maxEntities ?? 50;
    if (slot.entities.size > max) {
      const oldest = [...slot.entities.entries()].sort((a, b) => a[1].at - b[1].at).slice(0, slot.entities.size - max);
      for (const [key] of oldest) slot.entities.delete(key);
    }
  }

  async focusEntities(sessionId: string, limit = 20): Promise<FocusEntity[]> {
    const entities = [...(this.live(sessionId)?.entities.values() ?? [])];
    return entities
      .sort((a, b) => b.at - a.at)
      .slice(0, limit)
      .map((e) => ({ ...e }));
  }

  async saveVault(sessionId: string, entries: readonly [string, string][]): Promise<void> {
    this.slot(sessionId).vault = entries.map(([p, v]) => [p, v]);
  }

  async loadVault(sessionId: string): Promise<[string, string][]> {
    return (this.live(sessionId)?.vault ?? []).map(([p, v]) => [p, v]);
  }

  async forget(sessionId: string): Promise<void> {
    this.slots.delete(sessionId);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.slots.clear();
  }

  private live(sessionId: string): Slot | undefined {
    const slot = this.slots.get(sessionId);
    if (slot && slot.expiresAt <= this.now()) {
      this.slots.delete(sessionId);
      return undefined;
    }
    return slot;
  }

  /** The session's slot, with its TTL renewed (like EXPIRE on every Redis write). */
  private slot(sessionId: string): Slot {
    if (++this.writes % 1000 === 0) this.sweep();
    const slot = this.live(sessionId) ?? { turns: [], entities: new Map(), vault: [], expiresAt: 0 };
    slot.expiresAt = this.now() + this.options.ttlSeconds * 1000;
    this.slots.set(sessionId, slot);
    return slot;
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, slot] of this.slots) if (slot.expiresAt <= now) this.slots.delete(id);
  }
}
