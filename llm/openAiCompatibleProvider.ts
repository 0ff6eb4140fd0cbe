import { LlmError, asLlmError, kindForStatus } from './llmErrors';
import { createParser } from 'eventsource-parser';
import type { LlmContent, LlmProvider, LlmRequest, LlmResponse, LlmStreamHandlers } from './types';
import { readBodyText } from '../adapters/responseBody';

/**
 * OpenAI-compatible chat completions (LM Studio, Ollama, llama.cpp's server, vLLM): POST
 * /v1/chat/completions with `stream: true`, `data:` chunks ending with `data: [DONE]`; tools as
 * `function` tools whose arguments arrive in fragments. Plain fetch: these servers differ in small
 * ways and an SDK would add nothing but another dependency.
 */
export interface OpenAiCompatibleOptions {
  baseURL: string;
  apiKey?: string;
  model: string;
  cheapModel?: string;
  timeoutMs: number;
  name?: string;
}

interface Chunk {
  choices?: {
    delta?: { content?: string | null; tool_calls?: { index: number; id?: string; function?: { name?: string; arguments?: string } }[] };
    finish_reason?: string | null;
  }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
}

export class OpenAiCompatibleProvider implements LlmProvider {
  readonly name: string;

  constructor(private readonly options: OpenAiCompatibleOptions) {
    this.name = options.name ?? 'openai-compatible';
  }

  modelFor(tier: 'default' | 'cheap'): string {
    return tier === 'cheap' && this.options.cheapModel ? this.options.cheapModel : this.options.model;
  }

  private url(path: string): string {
    return `${this.options.baseURL.replace(/\/+$/, '').replace(/\/v1$/, '')}/v1/${path}`;
  }

  private headers(): Record<string, string> {
    return { 'content-type': 'application/json', ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}) };
  }

  async complete(request: LlmRequest, handlers: LlmStreamHandlers, signal: AbortSignal): Promise<LlmResponse> {
    const model = this.modelFor(request.tier ?? 'default');
    const body = {
      model,
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: request.maxTokens,
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      messages: [{ role: 'system', content: request.system }, ...request.messages.flatMap(toWire)],
      ...(request.tools?.length
        ? { tools: request.tools.map((t) => ({ type: 'function', function: { name: t.name, description: t.description, parameters: t.inputSchema } })) }
        : {}),
      ...(request.toolChoice ? { tool_choice: request.toolChoice.type === 'tool' ? { type: 'function', function: { name: request.toolChoice.name } } : 'auto' } : {}),
    };
    let text = '';
    const calls: { id: string; name: string; args: string }[] = [];
    let stopReason = 'end_turn';
    const usage = { inputTokens: 0, outputTokens: 0 };
    try {
      const res = await fetch(this.url('chat/completions'), { method: 'POST', headers: this.headers(), body: JSON.stringify(body), signal });
      if (!res.ok || !res.body) {
        const detail = (await readBodyText(res, 300).catch(() => ({ text: '' }))).text;
        throw new LlmError(kindForStatus(res.status), `${this.name}: HTTP ${res.status} ${detail}`, this.name, res.status);
      }
      for await (const data of sseData(res.body)) {
        if (data.trim() === '[DONE]') break;
        const chunk = JSON.parse(data) as Chunk & { error?: { message?: string; type?: string } };
        if (chunk.error) throw new LlmError(kindForStatus(undefined, chunk.error.type), `${this.name}: ${chunk.error.message ?? 'stream error'}`, this.name);
        if (chunk.usage) {
          usage.inputTokens = chunk.usage.prompt_tokens ?? usage.inputTokens;
          usage.outputTokens = chunk.usage.completion_tokens ?? usage.outputTokens;
        }
        const choice = chunk.choices?.[0];
        const delta = choice?.delta;
        if (delta?.content) {
          text += delta.content;
          handlers.onText?.(delta.content);
        }
        for (const call of delta?.tool_calls ?? []) {
          const slot = (calls[call.index] ??= { id: call.id ?? `call_${call.index}`, name: '', args: '' });
          if (call.id) slot.id = call.id;
          if (call.function?.name) slot.name += call.function.name;
          if (call.function?.arguments) slot.args += call.function.arguments;
        }
        if (choice?.finish_reason) stopReason = choice.finish_reason === 'tool_calls' ? 'tool_use' : choice.finish_reason === 'length' ? 'max_tokens' : 'end_turn';
      }
    } catch (err) {
      throw asLlmError(err, this.name);
    }
    const content: LlmContent[] = [];
    if (text) content.push({ type: 'text', text });
    for (const call of calls.filter(Boolean)) {
      let input: unknown;
      try {
        input = call.args.trim() ? JSON.parse(call.args) : {};
      } catch {
        throw new LlmError('bad_output', `${this.name}: tool ${call.name} arguments are not JSON`, this.name);
      }
      content.push({ type: 'tool_use', id: call.id, name: call.name, input: (input ?? {}) as Record<string, unknown> });
    }
    return { content, stopReason, usage, provider: this.name, model };
  }

  async health(signal: AbortSignal): Promise<void> {
    try {
      const res = await fetch(this.url('models'), { headers: this.headers(), signal });
      await res.body?.cancel();
      if (!res.ok) throw new LlmError(kindForStatus(res.status), `${this.name}: /v1/models answered ${res.status}`, this.name, res.status);
    } catch (err) {
      throw asLlmError(err, this.name);
    }
  }
}

function toWire(message: LlmRequest['messages'][number]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const text = message.content
    .filter((c) => c.type === 'text')
    .map((c) => (c as { text: string }).text)
    .join('');
  const uses = message.content.filter((c): c is Extract<LlmContent, { type: 'tool_use' }> => c.type === 'tool_use');
  const results = message.content.filter((c): c is Extract<LlmContent, { type: 'tool_result' }> => c.type === 'tool_result');
  for (const r of results) out.push({ role: 'tool', tool_call_id: r.toolUseId, content: r.content });
  if (message.role === 'assistant') {
    out.push({
      role: 'assistant',
      content: text || null,
      ...(uses.length ? { tool_calls: uses.map((u) => ({ id: u.id, type: 'function', function: { name: u.name, arguments: JSON.stringify(u.input) } })) } : {}),
    });
  } else if (text) out.push({ role: 'user', content: text });
  return out;
}

/**
 * The `data` of each server-sent event of a provider stream read with fetch, framed by
 * eventsource-parser (the WHATWG rules: CR/LF/CRLF, comments, multi-line data, a BOM).
 */
async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const ready: string[] = [];
  const parser = createParser({ onEvent: (event) => void ready.push(event.data) });
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    yield* ready.splice(0);
  }
  // A last event without its blank line (or its newline) still counts: the connection's end ends it.
  parser.feed(`${decoder.decode()}\n\n`);
  yield* ready.splice(0);
}
