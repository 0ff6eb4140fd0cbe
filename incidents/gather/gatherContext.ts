import type { IncidentMemory } from '../incidentMemory';
import type { IncidentRepository } from '../incidentRepository';
import type { GatherRequest, GatherResult, Signal } from '../types';
import { EvidenceRecorder } from './evidenceRecorder';

/**
 * Context beyond telemetry: recent runs (deploys, restarts) of services from the run log, and
 * incident memory ("did this happen before, what fixed it?").
 */
const DEPLOY_LOOKBACK_MS = 2 * 3600_000;

export async function gatherDeploys(repo: IncidentRepository, req: GatherRequest): Promise<GatherResult> {
  const rec = new EvidenceRecorder(repo, req, 'deploys');
  const pivot = new Date(req.pivot);
  const from = new Date(pivot.getTime() - DEPLOY_LOOKBACK_MS);
  const query = `run.started with params.service between ${from.toISOString()} and ${req.end}`;
  const { record, value } = await rec.run(
    'deploys',
    'sql',
    'runs',
    query,
    () => repo.runsForServices(from, new Date(req.end)),
    (runs) => ({
      summary: runs.length
        ? runs
            .slice(0, 5)
            .map((r) => `${r.runbook} ${r.service}${r.version ? `@${r.version}` : ''} at ${r.at}`)
            .join('; ')
        : 'no runs',
      body: runs,
      count: runs.length,
    }),
    { start: from, end: new Date(req.end) },
  );
  const signals: Signal[] = [];
  const seen = new Set<string>();
  for (const run of value ?? []) {
    if (seen.has(run.service) || run.at > req.pivot) continue; // newest deploy before the pivot, per service
    seen.add(run.service);
    const minutes = Math.round((pivot.getTime() - new Date(run.at).getTime()) / 60_000);
    const previous = (value ?? []).find((r) => r.service === run.service && r.at < run.at && r.version && r.version !== run.version);
    signals.push({
      kind: 'deploys',
      service: run.service,
      weight: minutes <= 60 ? 0.3 : 0.15,
      evidenceId: record.evidenceId,
      text: `${run.runbook} run ${run.runId}${run.version ? ` (${run.version})` : ''} ${minutes} min before the start`,
      runId: run.runId,
      runbook: run.runbook,
      ...(previous?.version ? { version: previous.version } : {}),
    });
  }
  return { queries: rec.records, signals, missing: [...rec.missing] };
}

export async function gatherMemory(memory: IncidentMemory, repo: IncidentRepository, req: GatherRequest): Promise<GatherResult> {
  const rec = new EvidenceRecorder(repo, req, 'memory');
  const { record, value } = await rec.run(
    'memory',
    'memory',
    'incident-memory',
    `similar to: ${req.text.slice(0, 200)}`,
    () => memory.findSimilar(req.text, req.service),
    (hits) => ({
      summary: hits.length ? hits.map((h) => `${h.incidentId} (${h.service ?? '?'}): ${h.rootCause.slice(0, 80)}`).join('; ') : 'nothing similar',
      body: hits,
      count: hits.length,
    }),
  );
  const signals: Signal[] = (value ?? [])
    .filter((h) => h.service)
    .map((h) => ({
      kind: 'memory' as const,
      service: h.service!,
      weight: 0.1,
      evidenceId: record.evidenceId,
      text: `similar to ${h.incidentId}: root cause "${h.rootCause.slice(0, 100)}", fix "${h.fix.slice(0, 100)}"`,
    }));
  return { queries: rec.records, signals, missing: [...rec.missing] };
}
