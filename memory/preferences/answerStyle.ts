/**
 * Turns stored preference texts into concrete answer settings, so a preference visibly changes an
 * answer even without an LLM: output format (chart vs table) and the team's names for services
 * ("we call the checkout service checkout-svc"). The chat layer applies these to replies and also
 * passes the preference texts to the LLM prompt.
 */
export interface AnswerStyle {
  format: 'chart' | 'table' | undefined;
  /** lower-case phrase → the team's name for it */
  aliases: Map<string, string>;
}

export function answerStyle(preferences: readonly string[]): AnswerStyle {
  const style: AnswerStyle = { format: undefined, aliases: new Map() };
  // Later (newer) preferences win, so iterate oldest → newest.
  for (const p of preferences) {
    const text = p.toLowerCase();
    if (/\b(charts?|graphs?)\b[^.]*\b(not|instead of|rather than|over)\b[^.]*\btables?\b/.test(text) || /\bprefer(?:s)?\s+(charts?|graphs?)\b/.test(text)) {
      style.format = 'chart';
    } else if (/\btables?\b[^.]*\b(not|instead of|rather than|over)\b[^.]*\b(charts?|graphs?)\b/.test(text) || /\bprefer(?:s)?\s+tables?\b/.test(text)) {
      style.format = 'table';
    }
    const alias = /\bwe call (?:the )?(.+?) ["'“`]?([A-Za-z0-9][\w.-]*)["'”`]?\s*$/i.exec(p.trim().replace(/[.!]+$/, ''));
    if (alias?.[1] && alias[2] && alias[1].toLowerCase() !== 'it') style.aliases.set(alias[1].toLowerCase(), alias[2]);
  }
  return style;
}

/** Applies the style to a drafted answer about a series of values. */
export function renderAnswer(draft: { title: string; series: readonly [string, number][] }, style: AnswerStyle): string {
  let title = draft.title;
  for (const [phrase, name] of style.aliases) title = title.replace(new RegExp(`\\b(?:the\\s+)?${phrase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`, 'gi'), name);
  if (style.format === 'chart') {
    const max = Math.max(1, ...draft.series.map(([, v]) => v));
    return [title, ...draft.series.map(([k, v]) => `${k.padEnd(8)} ${'█'.repeat(Math.round((v / max) * 20))} ${v}`)].join('\n');
  }
  return [title, '| time | value |', '|---|---|', ...draft.series.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
}
