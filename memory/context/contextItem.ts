import type { MemoryKind } from '../types';

/** One piece of assembled context, already redacted, with the numbers that ranked it. */
export interface ContextItem {
  source: 'turn' | 'summary' | 'entity' | 'memory' | 'preference';
  text: string;
  tokens: number;
  /** relevance × recency × importance */
  score: number;
  relevance: number;
  recency: number;
  importance: number;
  at: number;
  id?: string;
  kind?: MemoryKind;
  role?: string;
}

export interface AssembledContext {
  sessionId: string;
  items: ContextItem[];
  tokens: number;
  budgetTokens: number;
  /** True when a tier was skipped (slow or failing): the turn goes on with what there is. */
  partial: boolean;
  skipped: string[];
  tokenizer: string;
  compression: {
    /** Tokens of every candidate before compression. */
    inputTokens: number;
    outputTokens: number;
    /** inputTokens / outputTokens (1 = nothing to compress). */
    ratio: number;
    deduped: number;
    dropped: number;
    summarisedTurns: number;
    summariser: 'extractive' | 'llm' | 'none';
  };
}
