import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { API } from './api';
import { getToken } from './token';
import type { StreamEvent } from './types';

/**
 * An SSE subscription to one of the API's durable streams (runs, sessions, incidents) with the
 * bearer token, which EventSource cannot send: fetch + eventsource-parser. On a dropped
 * connection it reconnects with `Last-Event-ID` (the last seq seen), so nothing is lost or repeated;
 * 204 (finished stream, nothing left) and 4xx stop it.
 */
export interface StreamHandlers {
  onEvent(event: StreamEvent): void;
  onStatus?(status: 'connecting' | 'open' | 'reconnecting' | 'ended' | 'error', detail?: string): void;
}

export function openEventStream(path: string, afterSeq: number, handlers: StreamHandlers): () => void {
  const controller = new AbortController();
  let lastSeq = afterSeq;
  let stopped = false;

  /** 'ended': the stream is finished (204) or refused (4xx); 'retry': reconnect from lastSeq. */
  const connect = async (attempt: number): Promise<'ended' | 'retry'> => {
    handlers.onStatus?.(attempt === 0 ? 'connecting' : 'reconnecting');
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    const token = getToken();
    if (token) headers.authorization = `Bearer ${token}`;
    if (lastSeq > 0) headers['last-event-id'] = String(lastSeq);
    const res = await fetch(`${API}${path}`, { headers, signal: controller.signal, cache: 'no-store' });
    if (res.status === 204) {
      handlers.onStatus?.('ended');
      return 'ended';
    }
    if (!res.ok || !res.body) {
      handlers.onStatus?.('error', `HTTP ${res.status}`);
      return res.status >= 400 && res.status < 500 ? 'ended' : 'retry';
    }
    handlers.onStatus?.('open');
    const parser = createParser({
      onEvent(message: EventSourceMessage) {
        if (!message.data) return;
        const seq = Number(message.id);
        if (!Number.isFinite(seq) || seq <= lastSeq) return;
        lastSeq = seq;
        const payload = JSON.parse(message.data) as Record<string, unknown>;
        handlers.onEvent({
          seq,
          type: message.event ?? String(payload.type),
          ...(typeof payload.createdAt === 'string' ? { createdAt: payload.createdAt } : {}),
          data: payload,
        });
      },
    });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(value);
    }
    return 'retry';
  };

  void (async () => {
    for (let attempt = 0; !stopped && !controller.signal.aborted; attempt++) {
      try {
        // The server ends a stream after its terminal event; the reconnect then answers 204.
        if ((await connect(attempt)) === 'ended') return;
        // A stream that delivered events starts its backoff again.
        attempt = 0;
      } catch (err) {
        if (controller.signal.aborted) return;
        handlers.onStatus?.('reconnecting', err instanceof Error ? err.message : String(err));
      }
      if (controller.signal.aborted) return;
      const ended = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), Math.min(5000, 500 * 2 ** Math.min(attempt, 4)));
        controller.signal.addEventListener('abort', () => {
          clearTimeout(t);
          resolve(true);
        });
      });
      if (ended) return;
    }
  })();

  return () => {
    stopped = true;
    controller.abort();
  };
}
