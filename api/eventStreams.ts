import type { ServerResponse } from 'node:http';
import type { StoredEvent } from '../domain/events';
import { sseClients, sseStreamsDropped } from '../observability/metrics';

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
 *  - a frame is encoded to bytes once, and written straight to each stream's socket
 *    (`writeFrame`);
 *  - a client that stops reading is dropped rather than buffered without bound.
 * The SSE framing is written here rather than through better-sse, which built a Fetch Request and
 * Response per session and serialised and sanitised every event for every session: at 10 000
 * streams that was most of the API's CPU per event and ~20 KiB of heap per stream.
 */
export class EventStreams {
  private readonly open = new Set<() => void>();
  private readonly producerChecks = new Map<string, { at: number; closed: Promise<boolean> }>();
  /** Unread bytes a stream may hold before it is dropped (SSE_MAX_BUFFERED_BYTES, `SseResponseOptions`). */
  readonly maxBufferedBytes: number;

  constructor(options: { maxBufferedBytes?: number } = {}) {
    this.maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  }

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

export const DEFAULT_MAX_BUFFERED_BYTES = 1024 * 1024;

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
  /**
   * Bytes a stream may have waiting for its client before the API drops it (default 1 MiB, thousands
   * of frames). A client that stopped reading would otherwise hold them in the API's memory forever.
   * Dropped, an EventSource reconnects with Last-Event-ID and gets the missed events from the store.
   */
  maxBufferedBytes?: number;
}

export interface SseResponse {
  /** Writes a ready frame (`eventFrame`). */
  write(frame: string): void;
  /** Stops the heartbeat; ending the response is the caller's. */
  stop(): void;
}

/** Starts an SSE response: head, retry hint, then a comment every heartbeatMs so proxies keep it open. */
export function startSseResponse(res: ServerResponse, options: SseResponseOptions): SseResponse {
  const maxBuffered = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  res.socket?.setNoDelay(true); // one small frame per event: no Nagle delay
  res.writeHead(200, SSE_HEADERS);
  res.write(`retry:${options.retryMs}\n\n`);
  const write = (frame: string): void => {
    if (res.writableEnded || res.destroyed) return;
    if (res.writableLength > maxBuffered) {
      sseStreamsDropped.inc({ reason: 'slow-client' });
      res.destroy(); // 'close' follows: the route unsubscribes and unregisters the stream
      return;
    }
    writeFrame(res, frame);
  };
  const timer = setInterval(() => {
    write(':\n\n');
    options.onHeartbeat?.();
  }, options.heartbeatMs);
  timer.unref();
  return {
    write,
    stop: () => clearInterval(timer),
  };
}

const CRLF = Buffer.from('\r\n');

/**
 * The last frame written, as bytes: a fanout writes one frame to all of its streams in turn, so it
 * is encoded once, not once per stream. Kept both bare and as an HTTP/1.1 chunk.
 */
let encoded: { frame: string; body: Buffer; chunk: Buffer } | undefined;

function encode(frame: string): { body: Buffer; chunk: Buffer } {
  if (encoded?.frame !== frame) {
    const body = Buffer.from(frame, 'utf8');
    encoded = { frame, body, chunk: Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, CRLF]) };
  }
  return encoded;
}

/**
 * Writes one frame to a started SSE response. `res.write` on a chunked response corks the socket,
 * writes the chunk header, the data and CRLF as three stream writes and uncorks on the next tick:
 * with 10 000 streams that JavaScript was more than half of the API's user CPU per event. Once the
 * response owns its socket and holds nothing back (its `writableLength` is the socket's alone), the
 * same bytes go to the socket in one write of a shared buffer, in order with whatever `res` wrote
 * before; `res.end()` still writes the last chunk. Anything else (a pipelined response still waiting
 * for the socket, unknown framing) takes `res.write`.
 */
export function writeFrame(res: ServerResponse, frame: string): void {
  const socket = res.socket;
  if (socket && socket.writable && res.headersSent && typeof res.chunkedEncoding === 'boolean' && res.writableLength === socket.writableLength) {
    const { body, chunk } = encode(frame);
    socket.write(res.chunkedEncoding ? chunk : body);
  } else {
    res.write(frame);
  }
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
