import { l2normalise, type Embedder } from './embedder';
import { MAX_BACKEND_ANSWER_BYTES, readBodyJson } from '../../adapters/responseBody';

export interface ApiEmbedderOptions {
  /** An OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, Azure, vLLM, Ollama, TEI …). */
  url: string;
  model: string;
  dimension: number;
  apiKey?: string;
  timeoutMs?: number;
}

interface EmbeddingsResponse {
  data?: { index: number; embedding: number[] }[];
}

/**
 * Embeddings from an HTTP API: best quality, but text leaves the machine (it is redacted before it
 * gets here) and every remember/search pays a network round trip.
 */
export class ApiEmbedder implements Embedder {
  readonly name: string;
  readonly dimension: number;

  constructor(private readonly options: ApiEmbedderOptions) {
    this.dimension = options.dimension;
    this.name = `api-${options.model}-${options.dimension}`;
  }

  async embed(texts: readonly string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const res = await fetch(this.options.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
      },
      body: JSON.stringify({ model: this.options.model, input: texts }),
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
    });
    if (!res.ok) throw new Error(`embedding API answered ${res.status}`);
    const answer = await readBodyJson(res, MAX_BACKEND_ANSWER_BYTES);
    if (!answer.ok) throw new Error(answer.reason === 'tooLarge' ? 'embedding API answered more than 16 MiB' : 'embedding API answered with a body that is not JSON');
    const body = answer.value as EmbeddingsResponse;
    const data = [...(body.data ?? [])].sort((a, b) => a.index - b.index);
    if (data.length !== texts.length) throw new Error(`embedding API returned ${data.length} vectors for ${texts.length} texts`);
    return data.map((d) => {
      if (d.embedding.length !== this.dimension) {
        throw new Error(`embedding API returned dimension ${d.embedding.length}, configured ${this.dimension}`);
      }
      return l2normalise(d.embedding);
    });
  }
}
