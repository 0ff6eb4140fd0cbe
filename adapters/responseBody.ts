/**
 * Reads a fetch Response's body with a byte limit. `response.text()` buffers whatever the server
 * sends: one endpoint answering gigabytes (a log dump, a misrouted download, a hostile service)
 * would take the worker's memory, and with it every run the worker carries.
 */
/**
 * What an observability backend (Prometheus, Loki, Tempo) may answer at most. Their answers are
 * summarised before they reach history or an LLM (adapters/summarise.ts), so this only bounds memory:
 * far above any answer a sensible query gets, far below what would hurt a worker.
 */
export const MAX_BACKEND_ANSWER_BYTES = 16 * 1024 * 1024;

export interface LimitedBody {
  /** The body decoded as UTF-8: all of it, or its first `maxBytes` when `truncated`. */
  text: string;
  /** True when the body was longer than `maxBytes`; the rest was not read (the stream is cancelled). */
  truncated: boolean;
  /** The Content-Length the server declared, when it did. */
  declaredBytes?: number;
}

export async function readBodyText(response: Response, maxBytes: number): Promise<LimitedBody> {
  const header = response.headers.get('content-length');
  const declared = header !== null && /^\d+$/.test(header.trim()) ? Number(header.trim()) : undefined;
  const withDeclared = declared !== undefined ? { declaredBytes: declared } : {};
  if (!response.body) return { text: '', truncated: false, ...withDeclared };
  const reader: ReadableStreamDefaultReader<Uint8Array> = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let read = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { text: text + decoder.decode(), truncated: false, ...withDeclared };
      if (read + value.byteLength > maxBytes) {
        text += decoder.decode(value.subarray(0, maxBytes - read));
        return { text, truncated: true, ...withDeclared };
      }
      read += value.byteLength;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    // Stops the transfer (and frees the socket) when we leave before the end; a no-op after it.
    await reader.cancel().catch(() => undefined);
  }
}

/** The body parsed as JSON within `maxBytes`; `tooLarge` when it is longer, `invalid` when it is not JSON. */
export async function readBodyJson(response: Response, maxBytes: number): Promise<{ ok: true; value: unknown } | { ok: false; reason: 'tooLarge' | 'invalid'; text: string }> {
  const body = await readBodyText(response, maxBytes);
  if (body.truncated) return { ok: false, reason: 'tooLarge', text: body.text.slice(0, 500) };
  try {
    return { ok: true, value: JSON.parse(body.text) as unknown };
  } catch {
    return { ok: false, reason: 'invalid', text: body.text.slice(0, 500) };
  }
}
