import { FAMILY_QUERIES, type FamilyQuery } from './families';

/**
 * Catalogue entries → PromQL for this target: only the entries whose metrics exist, with the
 * scope matchers spliced into every selector and the rate window filled in.
 */
export function applicableQueries(metricNames: ReadonlySet<string>, catalogue: readonly FamilyQuery[] = FAMILY_QUERIES): FamilyQuery[] {
  return catalogue.filter((q) => q.requires.every((m) => metricNames.has(m)));
}

export function renderQuery(template: string, scope: string[], rateWindow: string): string {
  const withSel = template.replace(/\{([^{}]*)\$sel\}/g, (_m, fixed: string) => {
    const own = fixed.replace(/,\s*$/, '').trim();
    return `{${[own, ...scope].filter(Boolean).join(',')}}`;
  });
  return withSel.replace(/\$w/g, rateWindow);
}
