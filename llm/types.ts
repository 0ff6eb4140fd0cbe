/**
 * A provider-neutral view of a chat-completion call with tools and streaming, so the router can
 * fall back from Anthropic to an OpenAI-compatible local server without the caller noticing.
 */
export type LlmContent =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> }
  | { type: 'tool_result'; toolUseId: string; content: string; isError?: boolean };

export interface LlmMessage {
  role: 'user' | 'assistant';
  content: LlmContent[];
}

export interface LlmTool {
  name: string;
  description: string;
  /** JSON Schema of the input object. */
  inputSchema: Record<string, unknown>;
}

export interface LlmRequest {
  system: string;
  messages: LlmMessage[];
  tools?: LlmTool[];
  /** Force a specific tool (structured output), or let the model choose. */
  toolChoice?: { type: 'auto' } | { type: 'tool'; name: string };
  maxTokens: number;
  /** "cheap": simple requests (classification) go to the cheaper model when one is configured. */
  tier?: 'default' | 'cheap';
  temperature?: number;
}

export interface LlmUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface LlmResponse {
  content: LlmContent[];
  stopReason: string;
  usage: LlmUsage;
  provider: string;
  model: string;
}

export interface LlmStreamHandlers {
  /** Text as it arrives. */
  onText?(delta: string): void;
}

export interface LlmProvider {
  readonly name: string;
  /** Model used for a tier (for metering and logs). */
  modelFor(tier: 'default' | 'cheap'): string;
  complete(request: LlmRequest, handlers: LlmStreamHandlers, signal: AbortSignal): Promise<LlmResponse>;
  /** Cheap reachability check used by the router's health tracking. */
  health(signal: AbortSignal): Promise<void>;
}

export function textOf(response: Pick<LlmResponse, 'content'>): string {
  return response.content
    .filter((c): c is { type: 'text'; text: string } => c.type === 'text')
    .map((c) => c.text)
    .join('');
}

export function toolUses(response: Pick<LlmResponse, 'content'>): { id: string; name: string; input: Record<string, unknown> }[] {
  return response.content.filter((c): c is Extract<LlmContent, { type: 'tool_use' }> => c.type === 'tool_use');
}
