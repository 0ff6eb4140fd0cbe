/**
 * A minimal spec-following SSE reader over fetch, for tests: records every dispatched event and
 * whether the server ended the stream, so tests can assert exact ids, order and termination.
 */
export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

export interface SseStream {
  status: number;
  headers: Headers;
  events: SseEvent[];
  /** Comment lines seen (the keep-alive heartbeats). */
  comments(): number;
  /** Resolves when the server ends the response (or the client aborts). */
  ended: Promise<void>;
  isEnded(): boolean;
  /** Waits until `predicate` holds for the events so far. */
  waitFor(predicate: (events: SseEvent[]) => boolean, timeoutMs?: number): Promise<SseEvent[]>;
  close(): void;
}

export async function openSse(url: string, options: { token: string; lastEventId?: string }): Promise<SseStream> {
  const controller = new AbortController();
  const headers: Record<string, string> = { authorization: `Bearer ${options.token}`, accept: 'text/event-stream' };
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  const res = await fetch(url, { headers, signal: controller.signal });
  const events: SseEvent[] = [];
  const waiters = new Set<() => void>();
  let done = false;
  let comments = 0;
  const notify = () => waiters.forEach((w) => w());

  const ended = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    let current: { id?: string; event?: string; data: string[] } = { data: [] };
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
          if (line === '') {
            if (current.data.length > 0) {
              events.push({ id: current.id, event: current.event ?? 'message', data: current.data.join('\n') });
              notify();
            }
            current = { data: [] };
            continue;
          }
          if (line.startsWith(':')) {
            comments += 1;
            notify();
            continue;
          }
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'data') current.data.push(value);
          else if (field === 'event') current.event = value;
          else if (field === 'id') current.id = value;
        }
      }
    } catch (err) {
      if (!controller.signal.aborted) throw err;
    } finally {
      done = true;
      notify();
    }
  })().catch(() => undefined); // a broken stream shows up as missing events in the assertions

  return {
    status: res.status,
    headers: res.headers,
    events,
    comments: () => comments,
    ended,
    isEnded: () => done,
    waitFor(predicate, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (predicate(events)) {
            cleanup();
            resolve([...events]);
          } else if (done) {
            cleanup();
            reject(new Error(`stream ended before the condition held; got: ${events.map((e) => `${e.id}:${e.event}`).join(', ')}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`timed out; got: ${events.map((e) => `${e.id}:${e.event}`).join(', ')}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close: () => controller.abort(),
  };
}
