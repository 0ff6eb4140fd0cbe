import { countTokens, truncateToTokens } from '../tokenizer';
import type { Turn } from '../types';
import type { ContextItem } from './contextItem';

/** Turns a list of old turns into a short running summary. */
export interface Summariser {
  readonly kind: 'extractive' | 'llm';
  summarise(turns: readonly Turn[], maxTokens: number): Promise<string>;
}

/**
 * Default, no LLM needed: keeps the first sentence of each old turn (where people state what they
 * want or what happened), role-prefixed, newest first until the token cap.
 */
export class ExtractiveSummariser implements Summariser {
  readonly kind = 'extractive' as const;

  async summarise(turns: readonly Turn[], maxTokens: number): Promise<string> {
    const lines: string[] = [];
    let used = 0;
    for (const turn of [...turns].reverse()) {
      const first = (/^[^.!?\n]*[.!?]?/.exec(turn.content.trim())?.[0] ?? '').trim();
      if (!first) continue;
      const line = `${turn.role}: ${truncateToTokens(first, 40)}`;
      const t = countTokens(line) + 1;
      if (used + t > maxTokens) break;
      lines.unshift(line);
      used += t;
    }
    return lines.join('\n');
  }
}

const normalised = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim();

function wordSet(s: string): Set<string> {
  return new Set(
    normalised(s)
      .split(/[^\p{L}\p{N}-]+/u)
      .filter(Boolean),
  );
}

function jaccard(a: Set<string>, b: Set<string>): number {
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / (a.size + b.size - inter || 1);
}

/** Drops near-duplicates (same words ≥ 90 %), keeping the higher-scored copy. */
export function dedupe(items: readonly ContextItem[]): ContextItem[] {
  const kept: { item: ContextItem; words: Set<string> }[] = [];
  for (const item of [...items].sort((a, b) => b.score - a.score)) {
    const words = wordSet(item.text);
    if (kept.some((k) => jaccard(k.words, words) >= 0.9)) continue;
    kept.push({ item, words });
  }
  return kept.map((k) => k.item);
}

/**
 * Greedy packing by score. Items that do not fit are dropped (lowest score first, which folds in
 * importance); one over-long item is truncated only if it would otherwise be the first thing lost.
 */
export function pack(items: readonly ContextItem[], budget: number): { kept: ContextItem[]; dropped: number } {
  const kept: ContextItem[] = [];
  let used = 0;
  let dropped = 0;
  for (const item of [...items].sort((a, b) => b.score - a.score)) {
    if (used + item.tokens <= budget) {
      kept.push(item);
      used += item.tokens;
    } else if (kept.length === 0 && budget - used > 16) {
      const text = truncateToTokens(item.text, budget - used);
      kept.push({ ...item, text, tokens: countTokens(text) });
      used += countTokens(text);
    } else {
      dropped++;
    }
  }
  return { kept, dropped };
}
