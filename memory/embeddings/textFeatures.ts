/**
 * Light, language-agnostic normalisation for the hashed embedder: lowercase word tokens (keeping
 * identifiers like checkout-svc together and also split), a crude suffix stemmer so "restarted"
 * and "restarting" meet, and stop words dropped so they do not dominate short texts.
 */
const STOP = new Set(
  'a an the and or but if of to in on at by for with from as is are was were be been being it its this that these those we you i he she they them our your their my me us do does did has have had not no so than then there here what which who whom when where why how can could should would will shall may might must into about over after before again also just very too only own same such any all each few more most other some up down out off once'.split(
    ' ',
  ),
);

function stem(word: string): string {
  if (word.length <= 4) return word;
  for (const suffix of ['ations', 'ation', 'ments', 'ment', 'ings', 'ing', 'ies', 'ied', 'ers', 'er', 'ed', 'es', 'ly', 's']) {
    if (word.endsWith(suffix) && word.length - suffix.length >= 3) {
      const base = word.slice(0, -suffix.length);
      return suffix === 'ies' || suffix === 'ied' ? `${base}y` : base;
    }
  }
  return word;
}

export function words(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.toLowerCase().match(/[\p{L}\p{N}][\p{L}\p{N}_.-]*/gu) ?? []) {
    const token = raw.replace(/[.-]+$/, '');
    const parts = token.split(/[-_.]/).filter(Boolean);
    if (parts.length > 1) out.push(token);
    for (const p of parts) if (!STOP.has(p)) out.push(stem(p));
  }
  return out;
}
