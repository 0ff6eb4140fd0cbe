import type { RunbookDefinition } from './runbook';
import { runbookVersion } from './approvalDigest';

/**
 * What the Temporal Web UI shows for a run before anyone opens it: the static summary (one line in
 * the Workflows list) and the static details (markdown on the workflow page), set at start as
 * Temporal user metadata. Pure: the API sets them on runs it starts, the workflow on child runs.
 */
export interface RunMetadataInput {
  runbook: RunbookDefinition;
  params: Record<string, unknown>;
  requestedBy: string;
  parentRunId?: string;
}

// Control characters and markdown punctuation out: params are caller text shown as markdown in the UI.
const text = (value: unknown): string | undefined =>
  typeof value === 'string' || typeof value === 'number'
    ? String(value)
        // eslint-disable-next-line no-control-regex
        .replace(/[\u0000-\u001f\u007f`*_[\]<>|]/g, ' ')
        .slice(0, 80)
    : undefined;

/** Well-known params that say what a run touches, in the order the summary names them. */
function facts(params: Record<string, unknown>): { service?: string; version?: string; environment?: string } {
  const service = text(params.service);
  const version = text(params.version);
  const environment = text(params.environment ?? params.env);
  return { ...(service ? { service } : {}), ...(version ? { version } : {}), ...(environment ? { environment } : {}) };
}

export function runStaticSummary(input: RunMetadataInput): string {
  const f = facts(input.params);
  const what = [f.service, f.version].filter(Boolean).join(' ');
  const where = f.environment ? ` in ${f.environment}` : '';
  return `${input.runbook.name}${what ? `: ${what}` : ''}${where} (by ${text(input.requestedBy) ?? '?'})`.slice(0, 200);
}

export function runStaticDetails(input: RunMetadataInput): string {
  const f = facts(input.params);
  const rows: [string, string][] = [
    ['runbook', input.runbook.name],
    ['runbook version', runbookVersion(input.runbook).slice(0, 19)],
    ...(f.service ? [['service', f.service] as [string, string]] : []),
    ...(f.version ? [['version', f.version] as [string, string]] : []),
    ...(f.environment ? [['environment', f.environment] as [string, string]] : []),
    ['requested by', text(input.requestedBy) ?? '?'],
    ...(input.parentRunId ? [['parent run', input.parentRunId] as [string, string]] : []),
  ];
  return ['| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | \`${v}\` |`)].join('\n');
}
