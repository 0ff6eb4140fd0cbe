import type { FocusEntity } from '../types';

/**
 * Cheap entity spotting for "what is this conversation about": service names in the house style
 * (x-svc, x-service, x-api), incident ids, run ids, namespaces and hosts. Regexes rather than NER
 * because these identifiers are syntactic and the spotter runs on every turn.
 */
const PATTERNS: { type: string; re: RegExp }[] = [
  { type: 'service', re: /\b[a-z][a-z0-9]*(?:-[a-z0-9]+)*-(?:svc|service|api|worker|gateway)\b/g },
  { type: 'incident', re: /\bINC-\d{1,9}\b/g },
  { type: 'run', re: /\brun-[0-9a-f]{8,}(?:-[0-9a-f]+)*\b/g },
  { type: 'namespace', re: /\bnamespace[ :=]+([a-z0-9][a-z0-9-]{0,62})\b/g },
  { type: 'host', re: /\b[a-z0-9-]+\.(?:internal|svc\.cluster\.local|prod|staging)\b/g },
];

export function extractEntities(text: string, at: number): FocusEntity[] {
  const seen = new Map<string, FocusEntity>();
  for (const { type, re } of PATTERNS) {
    re.lastIndex = 0;
    for (const m of text.matchAll(re)) {
      const value = m[1] ?? m[0];
      seen.set(`${type}\u0000${value}`, { type, value, at });
    }
  }
  return [...seen.values()];
}
