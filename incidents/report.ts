import { topHypothesis } from './heuristics/hypotheses';
import type { IncidentState } from './types';

/**
 * The postmortem in markdown, built only from the recorded state: every claim links to the query
 * (evidence id) it came from, so a reader can re-run it. Pure, deterministic.
 */
export function renderReport(s: IncidentState): string {
  const top = topHypothesis(s.hypotheses);
  const lines: string[] = [
    `# Postmortem: ${s.title}`,
    '',
    `- **Incident:** ${s.incidentId}`,
    `- **Severity:** ${s.severity}`,
    `- **Service:** ${s.service ?? top?.service ?? 'unknown'}`,
    `- **Status:** ${s.status}`,
    `- **Started:** ${s.startedAt}`,
    `- **Resolved:** ${s.resolvedAt ?? 'not yet'}${s.resolvedBy ? ` by ${s.resolvedBy}` : ''}`,
    `- **Investigation:** ${s.rounds} round(s), ${s.rechecks} re-check(s), ${s.budget.queriesUsed} queries`,
    '',
    '## Summary',
    '',
    top ? `Most likely root cause: **${top.service}** (confidence ${top.confidence}). ${top.statement}` : 'No root cause was identified.',
    ...(s.resolution ? ['', `Resolution: ${s.resolution}`] : []),
    '',
    '## Hypotheses',
    '',
    '| service | confidence | feedback | statement | evidence |',
    '|---|---|---|---|---|',
    ...s.hypotheses.map((h) => `| ${h.service} | ${h.confidence} | ${h.feedback ?? ''} | ${cell(h.statement)} | ${h.evidence.map((e) => `\`${e}\``).join(' ')} |`),
    '',
    '## Proposed actions',
    '',
    ...(s.actions.length
      ? s.actions.map((a) => `- \`${a.runbook}\` ${cell(JSON.stringify(a.params))}: ${cell(a.reason)}${a.runId ? ` — started as ${a.runId} by ${a.startedBy}` : ' — not started'}`)
      : ['None.']),
    '',
    '## Missing data',
    '',
    ...(s.missing.length ? s.missing.map((m) => `- ${cell(m)}`) : ['None: every backend answered.']),
    '',
    '## Notes',
    '',
    ...(s.notes.length ? s.notes.map((n) => `- ${n.at} **${n.author}**: ${cell(n.text)}`) : ['None.']),
    '',
    '## Queries run',
    '',
    '| time | language | query | result | evidence |',
    '|---|---|---|---|---|',
    ...s.queries.map((q) => `| ${q.ranAt} | ${q.language} | \`${cell(q.query)}\` | ${q.ok ? cell(q.summary) : `failed: ${cell(q.error ?? '')}`} | \`${q.evidenceId}\` |`),
    '',
  ];
  return lines.join('\n');
}

/** Table cells: no pipes or new lines from data. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/[\r\n]+/g, ' ').replace(/`/g, "'");
}
