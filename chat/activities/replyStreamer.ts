import type { EventStore } from '../../domain/events';

/**
 * Streams a reply into the session's event log as it is produced: deltas are coalesced for
 * `coalesceMs` (50 ms by default) so a fast model does not write one row per token, and appended
 * in order (one append at a time). Keys carry the activity attempt, so a retried attempt never
 * collides with the deltas of the failed one; it starts with `reply.reset` so clients drop them.
 */
export class ReplyStreamer {
  private buffer = '';
  private index = 0;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<unknown> = Promise.resolve();
  private failed: unknown;
  private all = '';

  constructor(
    private readonly events: EventStore,
    private readonly streamId: string,
    private readonly turnId: string,
    private readonly attempt: number,
    private readonly coalesceMs: number,
    private readonly onFlush: () => void = () => undefined,
  ) {}

  get text(): string {
    return this.all;
  }

  get started(): boolean {
    return this.all.length > 0;
  }

  async begin(): Promise<void> {
    if (this.attempt > 1) await this.append('reply.reset', 'reset', { reason: 'retry' });
  }

  push(delta: string): void {
    if (!delta) return;
    this.buffer += delta;
    this.all += delta;
    this.timer ??= setTimeout(() => this.flush(), this.coalesceMs);
  }

  /** Drops what was streamed so far (the answer will come from another path). */
  async reset(reason: string): Promise<void> {
    this.cancelTimer();
    this.buffer = '';
    this.all = '';
    await this.drain();
    await this.append('reply.reset', `reset/${this.index++}`, { reason });
  }

  async close(): Promise<void> {
    this.cancelTimer();
    this.flush();
    await this.drain();
    if (this.failed) throw this.failed as Error;
  }

  private cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private flush(): void {
    this.timer = undefined;
    if (!this.buffer) return;
    const text = this.buffer;
    const n = this.index++;
    this.buffer = '';
    this.chain = this.chain.then(() => this.append('reply.delta', `delta/${n}`, { text, index: n })).catch((err: unknown) => (this.failed = err));
    this.onFlush();
  }

  private async drain(): Promise<void> {
    await this.chain;
  }

  private async append(type: string, key: string, data: Record<string, unknown>): Promise<void> {
    await this.events.append(this.streamId, [
      { type, data: { turnId: this.turnId, attempt: this.attempt, ...data }, dedupeKey: `${this.streamId}/${this.turnId}/a${this.attempt}/${key}` },
    ]);
  }
}
