import { countTokens, truncateToTokens } from '../../memory/tokenizer';

describe('token counting (cl100k-style pre-tokenizer + sub-word heuristic)', () => {
  it('counts short English words as one token each, like BPE', () => {
    // cl100k_base gives 11 for this sentence; characters/4 gives 11.25 by luck of the length.
    expect(countTokens('Hello world, this is a test of the tokenizer.')).toBeGreaterThanOrEqual(11);
    expect(countTokens('Hello world, this is a test of the tokenizer.')).toBeLessThanOrEqual(14);
  });

  it('counts digits in groups of three and non-Latin letters per character', () => {
    expect(countTokens('1234567')).toBe(3);
    expect(countTokens('日本語')).toBe(3);
    expect(countTokens('')).toBe(0);
  });

  it('differs from characters/4 where text is dense (ids, numbers, punctuation)', () => {
    const log = 'ERR 502 /api/v1/checkout?id=8f3a2c1d-77e1 at 10:32:07.123Z (p99=1234ms)';
    expect(countTokens(log)).toBeGreaterThan(log.length / 4 + 5);
  });

  it('truncates to a token cap', () => {
    const text = 'one two three four five six seven eight';
    const cut = truncateToTokens(text, 3);
    expect(cut).toBe('one two three');
    expect(countTokens(cut)).toBe(3);
  });
});
