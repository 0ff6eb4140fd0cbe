/**
 * How people type in chat, undone before the rules look at a message: a leading Slack-style
 * mention ("@copilot is checkout ok?"), "pls"/"plz", and one-letter typos of the words the rules key
 * on ("latecny", "lgos", "restrat": two neighbours swapped; "latncy": a letter dropped or added,
 * words of five letters or more; a letter replaced only in words of seven or more, since short
 * English words sit one letter away from keywords: "about"/"abort", "lots"/"logs"). Only words that
 * are not keywords or their inflections are corrected, and only towards this fixed keyword list —
 * service names are never rewritten. Pure.
 */
const KEYWORDS = [
  'latency',
  'error',
  'errors',
  'logs',
  'traces',
  'restart',
  'deploy',
  'rollback',
  'rollout',
  'cancel',
  'abort',
  'healthy',
  'health',
  'incident',
  'resolve',
  'resolved',
  'memory',
  'throughput',
  'metrics',
  'approve',
  'reject',
  'investigate',
  'alerting',
  'firing',
  'coverage',
  'warnings',
  'exceptions',
  'availability',
  'progress',
  'finished',
];
const KEYWORD_SET = new Set(KEYWORDS);

/** Is `a` one typo away from `b` (see above for which typos count at which length)? */
function oneTypo(a: string, b: string): boolean {
  if (a === b) return true;
  if (Math.abs(a.length - b.length) > 1) return false;
  if (a.length === b.length) {
    const diff: number[] = [];
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) diff.push(i);
    if (diff.length === 1) return a.length >= 7;
    const [i, j] = diff;
    return diff.length === 2 && i !== undefined && j === i + 1 && a[i] === b[j] && a[j] === b[i];
  }
  const [long, short] = a.length > b.length ? [a, b] : [b, a];
  if (short.length < 5) return false;
  for (let i = 0; i < long.length; i++) if (long.slice(0, i) + long.slice(i + 1) === short) return true;
  return false;
}

function correct(word: string): string {
  const lower = word.toLowerCase();
  // Keywords, their plurals and inflections ("approved", "restarts") are words, not typos.
  if (lower.length < 4 || KEYWORD_SET.has(lower) || KEYWORD_SET.has(`${lower}s`) || KEYWORDS.some((k) => lower.startsWith(k))) return word;
  const hit = KEYWORDS.find((k) => k.length >= 4 && oneTypo(lower, k));
  return hit ?? word;
}

export function normaliseTyping(text: string): string {
  return text
    .replace(/^\s*(?:<@[A-Z0-9]+>|@[\w.-]+)[:,]?\s+/i, '')
    .replace(/\b(?:pls|plz)\b/gi, 'please')
    .replace(/[A-Za-z]+/g, (w) => correct(w));
}
