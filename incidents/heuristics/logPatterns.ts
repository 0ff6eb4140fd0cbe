/**
 * Log lines → patterns: numbers, hex ids, UUIDs, IPs, quoted strings and durations are replaced by
 * placeholders, so "timeout after 3012ms calling 10.0.0.7" and "... 2999ms ... 10.0.0.9" are one
 * pattern. A pattern is "new" when it appears after the pivot but not before.
 */
export interface PatternCount {
  service: string;
  pattern: string;
  before: number;
  after: number;
  example: string;
}

const RULES: [RegExp, string][] = [
  [/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<uuid>'],
  [/\b\d{1,3}(\.\d{1,3}){3}(:\d+)?\b/g, '<ip>'],
  [/\b[0-9a-f]{12,}\b/gi, '<hex>'],
  [/"[^"]*"/g, '"<str>"'],
  [/\b\d+(\.\d+)?(ms|s|us|ns|m|h)?\b/g, '<n>'],
  [/\s+/g, ' '],
];

export function patternOf(line: string): string {
  let out = line.slice(0, 500);
  for (const [re, replacement] of RULES) out = out.replace(re, replacement);
  return out.trim().slice(0, 200);
}

export function countPatterns(lines: { service: string; line: string; tsSec: number }[], pivotSec: number): PatternCount[] {
  const counts = new Map<string, PatternCount>();
  for (const l of lines) {
    const pattern = patternOf(l.line);
    const key = `${l.service}\u0000${pattern}`;
    const entry = counts.get(key) ?? { service: l.service, pattern, before: 0, after: 0, example: l.line.slice(0, 300) };
    if (l.tsSec < pivotSec) entry.before += 1;
    else entry.after += 1;
    counts.set(key, entry);
  }
  return [...counts.values()];
}

/** New (or ≥ 5× more frequent) patterns after the pivot, most frequent first. */
export function newPatterns(counts: PatternCount[], limit = 10): PatternCount[] {
  return counts
    .filter((c) => c.after > 0 && (c.before === 0 || c.after >= 5 * c.before))
    .sort((a, b) => b.after - a.after)
    .slice(0, limit);
}
