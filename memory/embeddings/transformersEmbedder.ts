import { l2normalise, type Embedder } from './embedder';

/**
 * A sentence-embedding model (e.g. all-MiniLM-L6-v2, 384 dimensions) run locally through
 * transformers.js from a directory on disk: semantic matches (synonyms, paraphrases) without any
 * network. transformers.js is NOT a dependency of this project (it is ~50 MB with onnxruntime);
 * install `@huggingface/transformers` yourself and set EMBEDDER=transformers and
 * EMBEDDER_MODEL_PATH. Remote model downloads are disabled: the model must already be on disk.
 */
type FeatureExtractor = (texts: string[], options: { pooling: 'mean'; normalize: boolean }) => Promise<{ tolist(): number[][] }>;

interface TransformersModule {
  env: { allowRemoteModels: boolean; localModelPath: string };
  pipeline(task: 'feature-extraction', model: string): Promise<FeatureExtractor>;
}

export class TransformersEmbedder implements Embedder {
  readonly name: string;

  private constructor(
    private readonly extractor: FeatureExtractor,
    readonly dimension: number,
    modelPath: string,
  ) {
    this.name = `transformers-${modelPath.split('/').filter(Boolean).pop() ?? 'model'}-${dimension}`;
  }

  static async load(modelPath: string): Promise<TransformersEmbedder> {
    const moduleName = '@huggingface/transformers';
    let mod: TransformersModule;
    try {
      // A variable specifier keeps TypeScript from requiring the optional package at build time.
      mod = (await import(moduleName)) as TransformersModule;
    } catch {
      throw new Error(`EMBEDDER=transformers needs the optional package ${moduleName}: npm install ${moduleName}`);
    }
    mod.env.allowRemoteModels = false;
    mod.env.localModelPath = modelPath;
    const extractor = await mod.pipeline('feature-extraction', modelPath);
    const probe = await extractor(['probe'], { pooling: 'mean', normalize: true });
    const dimension = probe.tolist()[0]?.length ?? 0;
    if (dimension === 0) throw new Error(`model at ${modelPath} produced an empty embedding`);
    return new TransformersEmbedder(extractor, dimension, modelPath);
  }

  async embed(texts: readonly string[]): Promise<number[][]> {
    if (texts.length === 0) return [];
    const out = await this.extractor([...texts], { pooling: 'mean', normalize: true });
    return out.tolist().map((v) => l2normalise(v));
  }
}
