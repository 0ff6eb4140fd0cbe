import type Anthropic from '@anthropic-ai/sdk';
import { LlmError, asLlmError } from './llmErrors';
import type { LlmContent, LlmProvider, LlmRequest, LlmResponse, LlmStreamHandlers } from './types';

/**
 * Claude through the official SDK (Messages API, streamed). Text deltas are handed to the caller
 * as they arrive; tool inputs arrive as `input_json_delta` fragments and are parsed at
 * `content_block_stop`. The SDK's own retries are off: the router owns retries, timeouts and the
 * circuit breaker, so a 429/529 falls back at once instead of after hidden back-off.
 * The SDK (about 250 modules) is loaded on the first call, not at start-up: a process with a key
 * configured but no turn yet, and every process without one, carries none of it (issue #16, idle RSS).
 */
export interface AnthropicProviderOptions {
  apiKey: string;
  baseURL?: string;
  model: string;
  cheapModel?: string;
  timeoutMs: number;
}

type Block = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; json: string };

export class AnthropicProvider implements LlmProvider {
  readonly name = 'anthropic';
  private sdkClient?: Promise<Anthropic>;

  constructor(private readonly options: AnthropicProviderOptions) {}

  private client(): Promise<Anthropic> {
    this.sdkClient ??= import('@anthropic-ai/sdk').then(
      ({ default: Sdk }) =>
        new Sdk({
          apiKey: this.options.apiKey,
          ...(this.options.baseURL ? { baseURL: this.options.baseURL } : {}),
          maxRetries: 0,
          timeout: this.options.timeoutMs,
        }),
    );
    return this.sdkClient;
  }

  modelFor(tier: 'default' | 'cheap'): string {
    return tier === 'cheap' && this.options.cheapModel ? this.options.cheapModel : this.options.model;
  }

  async complete(request: LlmRequest, handlers: LlmStreamHandlers, signal: AbortSignal): Promise<LlmResponse> {
    const model = this.modelFor(request.tier ?? 'default');
    const blocks: Block[] = [];
    let stopReason = 'end_turn';
    const usage = { inputTokens: 0, outputTokens: 0 };
    try {
      const stream = await (
        await this.client()
      ).messages.create(
        {
          model,
          max_tokens: request.maxTokens,
          system: request.system,
          messages: request.messages.map(toWire),
          stream: true,
          ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
          ...(request.tools?.length
            ? { tools: request.tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.inputSchema as Anthropic.Tool.InputSchema })) }
            : {}),
          ...(request.toolChoice ? { tool_choice: request.toolChoice.type === 'tool' ? { type: 'tool', name: request.toolChoice.name } : { type: 'auto' } } : {}),
        },
        { signal },
      );
      for await (const event of stream) {
        switch (event.type) {
          case 'message_start':
            usage.inputTokens = event.message.usage.input_tokens;
            usage.outputTokens = event.message.usage.output_tokens;
            break;
          case 'content_block_start':
            if (event.content_block.type === 'text') blocks[event.index] = { type: 'text', text: event.content_block.text };
            else if (event.content_block.type === 'tool_use') blocks[event.index] = { type: 'tool_use', id: event.content_block.id, name: event.content_block.name, json: '' };
            break;
          case 'content_block_delta': {
            const block = blocks[event.index];
            if (event.delta.type === 'text_delta' && block?.type === 'text') {
              block.text += event.delta.text;
              handlers.onText?.(event.delta.text);
            } else if (event.delta.type === 'input_json_delta' && block?.type === 'tool_use') {
              block.json += event.delta.partial_json;
            }
            break;
          }
          case 'message_delta':
            stopReason = event.delta.stop_reason ?? stopReason;
            usage.outputTokens = event.usage.output_tokens;
            if (event.usage.input_tokens != null) usage.inputTokens = event.usage.input_tokens;
            break;
          default:
            break;
        }
      }
    } catch (err) {
      throw asLlmError(err, this.name);
    }
    return { content: blocks.filter(Boolean).map(fromBlock), stopReason, usage, provider: this.name, model };
  }

  async health(signal: AbortSignal): Promise<void> {
    try {
      await (await this.client()).models.list({ limit: 1 }, { signal });
    } catch (err) {
      throw asLlmError(err, this.name);
    }
  }
}

function fromBlock(block: Block): LlmContent {
  if (block.type === 'text') return block;
  let input: unknown;
  try {
    input = block.json.trim() === '' ? {} : JSON.parse(block.json);
  } catch {
    throw new LlmError('bad_output', `anthropic: tool ${block.name} input is not JSON`, 'anthropic');
  }
  if (input === null || typeof input !== 'object' || Array.isArray(input)) throw new LlmError('bad_output', `anthropic: tool ${block.name} input is not an object`, 'anthropic');
  return { type: 'tool_use', id: block.id, name: block.name, input: input as Record<string, unknown> };
}

function toWire(message: LlmRequest['messages'][number]): Anthropic.MessageParam {
  return {
    role: message.role,
    content: message.content.map((c): Anthropic.ContentBlockParam => {
      if (c.type === 'text') return { type: 'text', text: c.text };
      if (c.type === 'tool_use') return { type: 'tool_use', id: c.id, name: c.name, input: c.input };
      return { type: 'tool_result', tool_use_id: c.toolUseId, content: c.content, ...(c.isError ? { is_error: true } : {}) };
    }),
  };
}
