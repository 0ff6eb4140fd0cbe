import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { ApiError, type ApiClient, type Problem } from './apiClient';

/**
 * Follows one of the API's SSE streams (a run's, a session's, the approvals feed) with
 * eventsource-parser. Resumes with Last-Event-ID after a dropped connection, so nothing is lost or
 * repeated (the API's ids are the event log's gapless seq). Ends when the server ends the stream
 * (runs end right after their terminal event; 204 means nothing is left) or when `onEvent` says stop.
 */
export interface StreamEvent {
  id: string | undefined;
  type: string;
  data: Record<string, unknown>;
}

export interface FollowOptions {
  lastEventId?: string;
  /** Return true to stop following. */
  onEvent(event: StreamEvent): boolean | void;
  /** Reconnect attempts in a row before giving up. */
  maxRetries?: number;
  signal?: AbortSignal;
}

export type FollowEnd = 'ended' | 'stopped' | 'aborted';

function toEvent(message: EventSourceMessage): StreamEvent {
  let data: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(message.data);
    if (parsed !== null && typeof parsed === 'object') data = parsed as Record<string, unknown>;
  } catch {
    data = { text: message.data };
  }
  return { id: message.id, type: message.event ?? 'message', data };
}

export async function followStream(client: ApiClient, path: string, options: FollowOptions): Promise<FollowEnd> {
  let lastEventId = options.lastEventId;
  let failures = 0;
  const maxRetries = options.maxRetries ?? 5;
  for (;;) {
    if (options.signal?.aborted) return 'aborted';
    const controller = new AbortController();
    const abort = () => controller.abort();
    options.signal?.addEventListener('abort', abort, { once: true });
    let stopped = false;
    try {
      const res = await fetch(client.url(path), {
        headers: client.headers({ accept: 'text/event-stream', ...(lastEventId !== undefined ? { 'last-event-id': lastEventId } : {}) }),
        signal: controller.signal,
      });
      if (res.status === 204) return 'ended';
      if (!res.ok) {
        const text = await res.text();
        let problem: Problem = { status: res.status, title: res.statusText };
        try {
          problem = { ...(JSON.parse(text) as Problem), status: res.status };
        } catch {
          // not problem+json: keep the status line
        }
        throw new ApiError(problem);
      }
      failures = 0;
      const parser = createParser({
        onEvent(message) {
          if (stopped) return;
          if (message.id !== undefined) lastEventId = message.id;
          if (options.onEvent(toEvent(message)) === true) {
            stopped = true;
            controller.abort();
          }
        },
      });
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        parser.feed(decoder.decode(chunk, { stream: true }));
        if (stopped) break;
      }
      return stopped ? 'stopped' : 'ended';
    } catch (err) {
      if (stopped) return 'stopped';
      if (options.signal?.aborted) return 'aborted';
      if (err instanceof ApiError) throw err;
      failures += 1;
      if (failures > maxRetries) throw new Error(`lost the event stream ${path}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, Math.min(500 * 2 ** failures, 5000)));
    } finally {
      options.signal?.removeEventListener('abort', abort);
    }
  }
}
