import type { ServerResponse } from 'node:http';
import type { StoredEvent } from '../domain/events';
import { sseClients } from '../observability/metrics';

/**
 * The SSE streams currently open, so shutdown can end them: an open stream would otherwise keep
 * server.close() waiting until every client went away on its own.
 *
 * Also the per-stream work of an SSE response, kept small because one API process serves
 * thousands of streams (bench/scaleBench.ts: 10 000 on one run):
 *  - an event is serialised once (`eventFrame`), not once per subscriber: the fanout hands every
 *    listener the same event object;
 *  - each stream has one timer, for both its heartbeat and its producer check;
 *  - "has the producer closed?" (a Temporal describe) is asked once per stream id per interval,
 *    however many clients follow that stream (`producerClosed`).
 * The SSE framing is written here rather than through better-sse, which built a Fetch Request and
 * Response per session and serialised and sanitised every event for every session: at 10 000
 * streams that was most of the API's CPU per event and ~20 KiB of heap per stream.
 */
export class EventStreams {
  private readonly open = new Set<() => void>();
  private readonly producerChecks = new Map<string, { at: number; closed: Promise<boolean> }>();

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

  /**
   * Whether the producer of `streamId` has closed, shared by every stream of that id asking within
   * `maxAgeMs` of one another (a failed check is not kept: the next caller asks again).
   */
  producerClosed(streamId: string, isClosed: () => Promise<boolean>, maxAgeMs: number): Promise<boolean> {
    const now = Date.now();
    const cached = this.producerChecks.get(streamId);
    if (cached && now - cached.at < maxAgeMs) return cached.closed;
    for (const [id, check] of this.producerChecks) if (now - check.at >= maxAgeMs) this.producerChecks.delete(id);
    const closed = isClosed();
    const entry = { at: now, closed };
    this.producerChecks.set(streamId, entry);
    closed.catch(() => {
      if (this.producerChecks.get(streamId) === entry) this.producerChecks.delete(streamId);
    });
    return closed;
  }
}

/** The SSE wire format's response head, as text/event-stream clients and proxies expect it. */
const SSE_HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  Pragma: 'no-cache',
  // nginx would otherwise buffer the stream.
  'X-Accel-Buffering': 'no',
};

export interface SseResponseOptions {
  heartbeatMs: number;
  /** Reconnection delay suggested to EventSource clients. */
  retryMs: number;
  /** Called on every heartbeat, after the comment is written. */
  onHeartbeat?: () => void;
}

export interface SseResponse {
  /** Writes a ready frame (`eventFrame`). */
  write(frame: string): void;
  /** Stops the heartbeat; ending the response is the caller's. */
  stop(): void;
}

/** Starts an SSE response: head, retry hint, then a comment every heartbeatMs so proxies keep it open. */
export function startSseResponse(res: ServerResponse, options: SseResponseOptions): SseResponse {
  res.socket?.setNoDelay(true); // one small frame per event: no Nagle delay
  res.writeHead(200, SSE_HEADERS);
  res.write(`retry:${options.retryMs}\n\n`);
  const timer = setInterval(() => {
    if (!res.writableEnded) res.write(':\n\n');
    options.onHeartbeat?.();
  }, options.heartbeatMs);
  timer.unref();
  return {
    write: (frame) => {
      if (!res.writableEnded) res.write(frame);
    },
    stop: () => clearInterval(timer),
  };
}

const frames = new WeakMap<StoredEvent, string>();

/**
 * The SSE frame of a stored event: `id` is its gapless seq (the client's Last-Event-ID), `event`
 * its type, `data` its envelope and data as one JSON line. Cached per event object, so a fanout
 * to N streams serialises once. Event objects are shared and never mutated (db/eventFanout.ts).
 */
export function eventFrame(event: StoredEvent): string {
  let frame = frames.get(event);
  if (frame === undefined) {
    // JSON.stringify escapes CR and LF, so `data` is one line; a type is a single line by construction
    // but is stripped of line breaks anyway, since one would end the field early.
    frame = `id:${event.seq}\nevent:${event.type.replace(/[\r\n]+/g, ' ')}\ndata:${JSON.stringify(payloadOf(event))}\n\n`;
    frames.set(event, frame);
  }
  return frame;
}

export function payloadOf(event: StoredEvent): Record<string, unknown> {
  const envelope = { seq: event.seq, type: event.type, createdAt: event.createdAt };
  // Envelope keys first for readers, and last so event data can never overwrite them.
  return Object.assign({}, envelope, event.data, envelope);
}
