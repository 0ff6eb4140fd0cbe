import type { RunbookDefinition } from '../../domain/runbook';

/**
 * The rules path of the planner: the catalogue runbooks closest to a goal, each with why it matched.
 *
 * Hand-written rather than a search library: the corpus is a dozen short documents, the answer must
 * say which words matched where (a ranking score alone does not tell an operator why), and the
 * scoring is a few lines. A runbook is split into fields (name, description, step names/ids/
 * commands, parameter names); a goal term that occurs in a field scores that field's weight times
 * the term's inverse document frequency (terms every runbook has, like "service", count little).
 * The score is normalised by the goal's total possible score, so it reads as "share of the goal
 * explained", in [0, 1]. Terms are lower-cased, split on non-letters, stop words dropped, reduced
 * by a light suffix stemmer ("restarts", "restarting" → "restart") and mapped through a few SRE
 * synonyms ("bounce" → "restart", "release" → "deploy"). Pure.
 */
export type MatchField = 'name' | 'description' | 'steps' | 'params';

const FIELD_WEIGHT: Record<MatchField, number> = { name: 3, description: 2, steps: 1, params: 1 };

const STOP_WORDS = new Set(
  'a an and any are as at be by can could do does for from get give has have i if in into is it its let make me my need no not of on or our please so some that the then this to up us we when which while will with would you your runbook runbooks one new want should after before'.split(
    ' ',
  ),
);

/** A few words operators use for the same operation; the left side is rewritten to the right. */
const SYNONYMS: Record<string, string> = {
  bounce: 'restart',
  reboot: 'restart',
  recycle: 'restart',
  relaunch: 'restart',
  release: 'deploy',
  ship: 'deploy',
  rollout: 'deploy',
  deployment: 'deploy',
  resize: 'scale',
  replica: 'scale',
  check: 'verify',
  healthy: 'health',
  suite: 'test',
  spec: 'test',
  compile: 'build',
  approve: 'approval',
  approver: 'approval',
  gate: 'approval',
  pause: 'wait',
  sleep: 'wait',
  prod: 'production',
  stage: 'staging',
  every: 'fleet',
  all: 'fleet',
  multiple: 'fleet',
};

/** Plural and verb endings only: enough to meet "restarts" / "restarting" / "restarted" at "restart". */
function stem(word: string): string {
  if (word.length > 5 && word.endsWith('ing')) return word.slice(0, -3);
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 4 && word.endsWith('ed')) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('es') && /(ss|sh|ch|x)es$/.test(word)) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

export function terms(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.toLowerCase().split(/[^a-z0-9]+/)) {
    if (!raw || STOP_WORDS.has(raw) || /^\d+$/.test(raw)) continue;
    const stemmed = stem(raw);
    const term = SYNONYMS[raw] ?? SYNONYMS[stemmed] ?? stemmed;
    if (!STOP_WORDS.has(term)) out.push(term);
  }
  return out;
}

function fieldsOf(definition: RunbookDefinition): Record<MatchField, Set<string>> {
  const stepText = definition.steps
    .map((s) => {
      const parts: string[] = [s.id, s.name ?? '', s.type];
      if (s.type === 'command') parts.push(...s.command.filter((arg) => !arg.includes('${{')));
      if (s.type === 'runbook') parts.push(s.runbook);
      if (s.type === 'foreach' && s.step.type === 'runbook') parts.push(s.step.runbook);
      if (s.type === 'approval' && s.message) parts.push(s.message.replace(/\$\{\{[^}]*\}\}/g, ' '));
      return parts.join(' ');
    })
    .join(' ');
  return {
    name: new Set(terms(definition.name)),
    description: new Set(terms(definition.description)),
    steps: new Set(terms(stepText)),
    params: new Set(
      terms(
        Object.entries(definition.params)
          .map(([name, spec]) => `${name} ${spec.description ?? ''}`)
          .join(' '),
      ),
    ),
  };
}

export interface TermMatch {
  term: string;
  field: MatchField;
}

export interface RunbookMatch {
  name: string;
  description: string;
  /** Share of the goal's (idf-weighted) terms this runbook explains, weighted by where they matched; in [0, 1]. */
  score: number;
  matched: TermMatch[];
  /** One sentence for people: which goal words matched where. */
  why: string;
}

export interface SimilarityCatalogue {
  names(): readonly string[];
  get(name: string): RunbookDefinition | undefined;
}

function explain(matched: readonly TermMatch[]): string {
  const byField = new Map<MatchField, string[]>();
  for (const m of matched) byField.set(m.field, [...(byField.get(m.field) ?? []), m.term]);
  const parts = (['name', 'description', 'steps', 'params'] as const)
    .filter((f) => byField.has(f))
    .map(
      (f) =>
        `${byField
          .get(f)!
          .map((t) => `"${t}"`)
          .join(', ')} in its ${f}`,
    );
  return `matches ${parts.join('; ')}`;
}

/** The `limit` best matches with a score above zero, best first (ties: by name). */
export function closestRunbooks(goal: string, catalogue: SimilarityCatalogue, limit = 3): RunbookMatch[] {
  const goalTerms = [...new Set(terms(goal))];
  const docs = catalogue
    .names()
    .map((name) => catalogue.get(name))
    .filter((d): d is RunbookDefinition => d !== undefined)
    .map((definition) => ({ definition, fields: fieldsOf(definition) }));
  if (goalTerms.length === 0 || docs.length === 0) return [];

  const containing = (term: string) => docs.filter((d) => Object.values(d.fields).some((f) => f.has(term))).length;
  // Smoothed idf: a term in every runbook still counts a little, one in none counts as rare.
  const idf = new Map(goalTerms.map((t) => [t, Math.log(1 + (docs.length + 1) / (containing(t) + 0.5))]));
  const possible = goalTerms.reduce((sum, t) => sum + idf.get(t)! * FIELD_WEIGHT.name, 0);

  const ranked = docs.map(({ definition, fields }) => {
    const matched: TermMatch[] = [];
    let score = 0;
    for (const term of goalTerms) {
      // The best field a term occurs in counts; a term is not rewarded twice.
      const field = (['name', 'description', 'steps', 'params'] as const).find((f) => fields[f].has(term));
      if (!field) continue;
      matched.push({ term, field });
      score += idf.get(term)! * FIELD_WEIGHT[field];
    }
    return { name: definition.name, description: definition.description, score: Number((score / possible).toFixed(3)), matched, why: explain(matched) };
  });
  return ranked
    .filter((r) => r.score > 0)
    .sort((a, b) => b.score - a.score || a.name.localeCompare(b.name))
    .slice(0, limit);
}
