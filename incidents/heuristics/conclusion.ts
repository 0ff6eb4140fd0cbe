import type { Conclusion, IncidentState } from '../types';
import { topHypothesis } from './hypotheses';

/**
 * Every check ends with a conclusion, never an empty silence: the leading hypothesis with its
 * confidence and evidence, or "insufficient evidence" listing what was searched, what matched
 * nothing and what is missing (a backend not configured or down, no series for the service).
 * Pure: the workflow computes it after each check.
 */
const LIST_MAX = 40;

export function conclude(s: Pick<IncidentState, 'hypotheses' | 'queries' | 'missing' | 'service'>): Conclusion {
  const ran = s.queries.filter((q) => q.kind !== 'discovery');
  const searched = unique(ran.filter((q) => q.ok).map((q) => `${q.backend}: ${q.query}`));
  const matchedNothing = unique(ran.filter((q) => q.ok && q.resultCount === 0).map((q) => `${q.backend}: ${q.query}`));
  const failed = unique(ran.filter((q) => !q.ok).map((q) => `${q.backend}: ${q.query}${q.error ? ` (${q.error.slice(0, 120)})` : ''}`));
  const lists = {
    searched: searched.slice(0, LIST_MAX),
    matchedNothing: matchedNothing.slice(0, LIST_MAX),
    failed: failed.slice(0, LIST_MAX),
    missing: s.missing.slice(0, LIST_MAX),
  };
  const top = topHypothesis(s.hypotheses);
  if (top && top.confidence > 0) {
    return {
      result: 'hypotheses',
      top: { id: top.id, service: top.service, confidence: top.confidence, statement: top.statement.slice(0, 500), evidence: top.evidence.slice(0, 20) },
      ...lists,
      summary: `${top.service}: confidence ${top.confidence} from ${top.evidence.length} piece(s) of evidence`,
    };
  }
  const why = [
    s.missing.length ? `${s.missing.length} thing(s) missing (${s.missing.slice(0, 2).join('; ')})` : '',
    searched.length ? `${matchedNothing.length} of ${searched.length} queries matched nothing` : 'no query could run',
    failed.length ? `${failed.length} failed` : '',
  ].filter(Boolean);
  return {
    result: 'insufficient_evidence',
    ...lists,
    summary: `insufficient evidence${s.service ? ` for ${s.service}` : ''}: ${why.join('; ')}`.slice(0, 500),
  };
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}
