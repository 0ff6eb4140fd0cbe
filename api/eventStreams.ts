import { sseClients } from '../observability/metrics';

/**
 * The SSE streams currently open, so shutdown can end them: an open stream would otherwise keep
 * server.close() waiting until every client went away on its own.
 */
export class EventStreams {
  private readonly open = new Set<() => void>();

  get size(): number {
    return this.open.size;
  }

  /** Registers a stream's `end` and returns the function that unregisters it. */
  add(end: () => void): () => void {
    this.open.add(end);
    sseClients.inc();
    return () => {
      if (this.open.delete(end)) sseClients.dec();
      return true;
    };
  }

  closeAll(): void {
    for (const end of [...this.open]) end();
    sseClients.dec(this.open.size);
    this.open.clear();
  }
}
