/**
 * Token counting without a vocabulary download. It runs the exact pre-tokenizer regex of OpenAI's
 * cl100k_base / o200k-style BPE (contractions, letter runs with an optional leading space, 1–3
 * digit groups, punctuation runs, whitespace) and then estimates how many BPE merges each piece
 * ends in: common short words are one token; longer letter runs split roughly every 4 characters
 * (the average English sub-word length in cl100k); punctuation runs about every 2 characters; each
 * CJK or other non-Latin letter is about one token. Those are the same pieces a real BPE starts
 * from, so the count tracks real tokenizers far better than characters/4 on code, logs, numbers
 * and non-English text. It is designed to err slightly high, which is the safe side for a budget.
 *
 * Kept instead of js-tiktoken (issue #10), after measuring both against cl100k_base on this machine:
 * js-tiktoken is exact for OpenAI models (and only close for Claude, whose tokenizer is not
 * published), but loading its bundled ranks takes ~1.5–2 s per process and it encodes logs at
 * ~250 KB/s, ~7x slower than this (2 MB of log lines: 8.6 s vs 1.2 s), and context assembly counts
 * every candidate item on each turn. This count was within 0–2 % of tiktoken on log lines
 * (825 K vs 810 K tokens) and ~20 % high on plain English prose, never low on the samples in
 * test/memory/tokenizer.unit.test.ts except single CJK strings (3 vs 4).
 */
const PRE_TOKENIZER = /'(?:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+/gu;

const LATIN = /^[\p{Script=Latin}]+$/u;

function letterRunTokens(word: string): number {
  if (!LATIN.test(word)) return word.length; // CJK, Cyrillic, …: ~1 token per character
  if (word.length <= 6) return 1;
  return Math.ceil(word.length / 4);
}

function pieceTokens(piece: string): number {
  const letters = /\p{L}+/u.exec(piece);
  if (letters) return letterRunTokens(letters[0]);
  if (/^\s+$/.test(piece)) return piece.includes('\n') ? 1 : Math.ceil(piece.length / 8);
  if (/^\p{N}+$/u.test(piece)) return 1;
  const trimmed = piece.trim();
  return Math.max(1, Math.ceil(trimmed.length / 2));
}

export function countTokens(text: string): number {
  if (!text) return 0;
  let total = 0;
  for (const match of text.matchAll(PRE_TOKENIZER)) total += pieceTokens(match[0]);
  return total;
}

/** The first pieces of `text` that fit `maxTokens`, for trimming a single over-long item. */
export function truncateToTokens(text: string, maxTokens: number): string {
  let total = 0;
  let end = 0;
  for (const match of text.matchAll(PRE_TOKENIZER)) {
    const t = pieceTokens(match[0]);
    if (total + t > maxTokens) break;
    total += t;
    end = (match.index ?? 0) + match[0].length;
  }
  return text.slice(0, end);
}
