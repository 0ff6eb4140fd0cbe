import { topHypothesis } from './heuristics/hypotheses';
import { wrapUntrusted } from './heuristics/untrusted';
import type { IncidentState } from './types';

/**
 * The postmortem in markdown, built only from the recorded state: every claim links to the query
 * (evidence id) it came from, so a reader can re-run it. Pure, deterministic.
 *
 * Everything that came from outside is data. Text copied from alerts, labels, logs, traces or a
 * backend's answer (the title, service names, query summaries and errors) goes through
 * `untrusted()`: the «untrusted: …» wrapper of heuristics/untrusted.ts, then `md()`. Other inline
 * text (notes, resolution, names) goes through `md()` (HTML and markdown punctuation escaped, one
 * line), queries through `code()` (a code span that cannot be closed early), and alert labels in a
 * fenced block whose fence is longer than any backtick run inside. No received text can add a
 * heading, link, image, table row or HTML element to the report.
 */
export function renderReport(s: IncidentState): string {
  const top = topHypothesis(s.hypotheses);
  const service = s.service ?? top?.service;
  const lines: string[] = [
    `# Postmortem: ${untrusted(s.title, 300)}`,
    '',
    `- **Incident:** ${md(s.incidentId)}`,
    `- **Severity:** ${s.severity}`,
    `- **Service:** ${service ? untrusted(service) : 'unknown'}`,
    `- **Status:** ${s.status}`,
    `- **Started:** ${s.startedAt}`,
    `- **Resolved:** ${s.resolvedAt ?? 'not yet'}${s.resolvedBy ? ` by ${md(s.resolvedBy)}` : ''}`,
    `- **Investigation:** ${s.rounds} round(s), ${s.rechecks} re-check(s), ${s.budget.queriesUsed} queries${s.budget.tokensUsed ? `, ${s.budget.tokensUsed} LLM tokens` : ''}`,
    ...(s.llm ? [`- **LLM:** ${s.llm.status}${s.llm.provider ? ` (${md(s.llm.provider)})` : ''}${s.llm.degraded ? `: ${md(s.llm.degraded)}` : ''}`] : []),
    '',
    '## Summary',
    '',
    top
      ? `Most likely root cause: **${untrusted(top.service)}** (confidence ${top.confidence}). ${md(top.statement)}`
      : `No root cause was identified${s.conclusion ? `: ${md(s.conclusion.summary)}` : ''}.`,
    // Insufficient evidence says what was looked for in vain (queries as code spans).
    ...(!top && s.conclusion?.matchedNothing.length ? ['', 'Searched and matched nothing:', '', ...s.conclusion.matchedNothing.slice(0, 10).map((q) => `- ${code(q)}`)] : []),
    ...(s.resolution ? ['', `Resolution: ${md(s.resolution)}`] : []),
    '',
    '## Hypotheses',
    '',
    '| service | confidence | feedback | statement | evidence |',
    '|---|---|---|---|---|',
    ...s.hypotheses.map((h) => `| ${untrusted(h.service)} | ${h.confidence} | ${h.feedback ?? ''} | ${md(h.statement)} | ${h.evidence.map(code).join(' ')} |`),
    '',
    '## Proposed actions',
    '',
    ...(s.actions.length
      ? s.actions.map(
          (a) =>
            `- ${code(a.runbook)} ${code(JSON.stringify(a.params))}: ${md(a.reason)}${a.runId ? ` — started as ${code(a.runId)} by ${md(a.startedBy ?? '?')}` : ' — not started'}`,
        )
      : ['None.']),
    '',
    '## Missing data',
    '',
    ...(s.missing.length ? s.missing.map((m) => `- ${md(m)}`) : ['None: every backend answered.']),
    '',
    '## Alerts and labels (as received: untrusted data, shown verbatim)',
    '',
    ...fenced(alertLines(s)),
    '',
    '## Notes',
    '',
    ...(s.notes.length ? s.notes.map((n) => `- ${md(n.at)} **${md(n.author)}**: ${md(n.text)}`) : ['None.']),
    '',
    '## Queries run',
    '',
    '| time | language | query | range | result | evidence |',
    '|---|---|---|---|---|---|',
    ...s.queries.map(
      (q) =>
        `| ${md(q.ranAt)} | ${q.language} | ${code(q.query)} | ${q.range ? `${md(q.range.start)} → ${md(q.range.end)}${q.range.stepSeconds ? ` step ${q.range.stepSeconds}s` : ''}` : ''} | ${q.ok ? untrusted(q.summary) : `failed: ${untrusted(q.error ?? '')}`} | ${code(q.evidenceId)} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ');
}

/**
 * Inline data: one line, HTML special characters as entities, markdown punctuation that could
 * start emphasis, code, links/images, strikethrough or a table cell backslash-escaped.
 */
export function md(text: string): string {
  return oneLine(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|~]/g, (c) => `\\${c}`);
}

/**
 * Received text inline: wrapped as untrusted (control characters and backticks neutralised, length
 * capped), escaped by `md()`, and bare URLs defanged so GFM does not autolink them (`:` and the dot
 * after `www` as entities: the text reads the same, nothing becomes clickable).
 */
export function untrusted(text: string, max = 200): string {
  return md(wrapUntrusted(text, max))
    .replace(/:\/\//g, '&#58;//')
    .replace(/\bwww\./gi, (w) => `${w.slice(0, 3)}&#46;`);
}

/** A code span (queries, ids): delimited by more backticks than it contains; pipes escaped for tables. */
export function code(text: string): string {
  const flat = oneLine(text).replace(/\|/g, '\\|');
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = '`'.repeat(longest + 1);
  return longest ? `${ticks} ${flat} ${ticks}` : `${ticks}${flat}${ticks}`;
}

/** A fenced block of raw lines: the fence is longer than any backtick run inside, so it cannot be closed early. */
export function fenced(lines: string[]): string[] {
  // eslint-disable-next-line no-control-regex
  const body = lines.map((l) => l.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, ' ').replace(/[\r\n\u2028\u2029]+/g, ' '));
  const longest = Math.max(0, ...body.flatMap((l) => l.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [`${fence}text`, ...body, fence];
}

function labelText(labels: Record<string, string>): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return pairs.length ? pairs.join(', ') : '(none)';
}

function alertLines(s: IncidentState): string[] {
  const lines = [`incident labels: ${labelText(s.labels)}`];
  for (const a of s.alerts) {
    lines.push(`alert ${a.alertname} ${a.status} since ${a.startsAt}${a.endsAt ? ` until ${a.endsAt}` : ''} (fingerprint ${a.fingerprint})`);
    lines.push(`  labels: ${labelText(a.labels)}`);
    if (a.expr) lines.push(`  expr: ${a.expr}`);
  }
  return lines;
}
