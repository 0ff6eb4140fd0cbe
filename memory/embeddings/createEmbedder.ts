import { ApiEmbedder } from './apiEmbedder';
import type { Embedder } from './embedder';
import { HashedEmbedder } from './hashedEmbedder';
import { TransformersEmbedder } from './transformersEmbedder';

export interface EmbedderConfig {
  EMBEDDER: 'hashed' | 'transformers' | 'api';
  EMBEDDING_DIM: number;
  EMBEDDER_MODEL_PATH?: string | undefined;
  EMBEDDER_API_URL?: string | undefined;
  EMBEDDER_API_KEY?: string | undefined;
  EMBEDDER_API_MODEL?: string | undefined;
}

export async function createEmbedder(config: EmbedderConfig): Promise<Embedder> {
  switch (config.EMBEDDER) {
    case 'hashed':
      return new HashedEmbedder({ dimension: config.EMBEDDING_DIM });
    case 'transformers':
      if (!config.EMBEDDER_MODEL_PATH) throw new Error('EMBEDDER=transformers needs EMBEDDER_MODEL_PATH (a local model directory)');
      return TransformersEmbedder.load(config.EMBEDDER_MODEL_PATH);
    case 'api':
      if (!config.EMBEDDER_API_URL || !config.EMBEDDER_API_MODEL) {
        throw new Error('EMBEDDER=api needs EMBEDDER_API_URL and EMBEDDER_API_MODEL');
      }
      return new ApiEmbedder({
        url: config.EMBEDDER_API_URL,
        model: config.EMBEDDER_API_MODEL,
        dimension: config.EMBEDDING_DIM,
        ...(config.EMBEDDER_API_KEY ? { apiKey: config.EMBEDDER_API_KEY } : {}),
      });
  }
}
