import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { useParams } from 'wouter';
import { ApprovalActions } from '../components/ApprovalActions';
import { ErrorText } from '../components/ErrorText';
import { RunGraph } from '../components/RunGraph';
import { Status, When } from '../components/Status';
import { ApiError, apiFetch, apiPost } from '../lib/api';
import { useMe } from '../lib/me';
import { describeEvent, liveRunStatus, stepViews } from '../lib/runProgress';
import type { RunbookDefinition, RunState } from '../lib/types';
import { useEventLog } from '../lib/useEventLog';

const TERMINAL = ['succeeded', 'failed', 'cancelled'];

/** One run: the live DAG, step details and logs, approvals, compensation, timeline, Cancel, Temporal UI link. */
export function RunPage() {
  const { runId } = useParams<{ runId: string }>();
  const client = useQueryClient();
  const { events, status: streamStatus } = useEventLog(`/runs/${runId}/events`);
  // Every non-log event may change what the state query says; refetch it (react-query dedupes).
  const milestones = events.filter((e) => e.type !== 'step.log').length;
  const run = useQuery({ queryKey: ['run', runId], queryFn: () => apiFetch<RunState>(`/runs/${runId}`) });
  useEffect(() => {
    if (milestones > 0) void client.invalidateQueries({ queryKey: ['run', runId] });
  }, [client, runId, milestones]);
  const definition = useQuery({
    queryKey: ['runbook', run.data?.runbook],
    enabled: run.data !== undefined,
    queryFn: async () => {
      try {
        return await apiFetch<RunbookDefinition>(`/runbooks/${run.data!.runbook}`);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return null; // inline definition: no catalogue entry
        throw err;
      }
    },
    staleTime: 300_000,
  });
  const me = useMe();
  const cancel = useMutation({ mutationFn: () => apiPost(`/runs/${runId}/cancel`), onSettled: () => void client.invalidateQueries({ queryKey: ['run', runId] }) });
  const steps = useMemo(() => stepViews(run.data, events), [run.data, events]);
  const needs = useMemo(() => Object.fromEntries((definition.data?.steps ?? []).map((s) => [s.id, s.needs ?? []])), [definition.data]);
  const [selected, setSelected] = useState<string>();
  const step = steps.find((s) => s.id === selected);
  const status = liveRunStatus(run.data, events) ?? 'loading';
  const compensation = events.filter((e) => e.type.startsWith('compensation.'));
  const temporalUi = me.data?.temporalUiUrl
    ? `${me.data.temporalUiUrl}/namespaces/${encodeURIComponent(me.data.temporalNamespace)}/workflows/${encodeURIComponent(runId)}`
    : undefined;

  return (
    <div className="run">
      <h1>
        {run.data?.runbook ?? 'Run'} <span className="mono">{runId}</span>{' '}
        <span data-testid="run-status">
          <Status value={status} />
        </span>
      </h1>
      <ErrorText error={run.error} />
      {run.data && (
        <p className="meta">
          requested by <strong>{run.data.requestedBy}</strong> · started <When at={run.data.startedAt} />
          {run.data.finishedAt && (
            <>
              {' '}
              · finished <When at={run.data.finishedAt} />
            </>
          )}
          {run.data.waitingFor && <> · {run.data.waitingFor}</>}
          {' · '}stream: <span data-testid="stream-status">{streamStatus}</span>
          {temporalUi && (
            <>
              {' '}
              ·{' '}
              <a href={temporalUi} target="_blank" rel="noreferrer noopener">
                Open in Temporal UI
              </a>
            </>
          )}
        </p>
      )}
      {run.data?.error && <p className="error">{run.data.error}</p>}
      {run.data && (
        <dl className="params">
          {Object.entries(run.data.params).map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{typeof v === 'string' ? v : JSON.stringify(v)}</dd>
            </div>
          ))}
        </dl>
      )}
      <div className="buttons">
        <button
          type="button"
          className="danger"
          disabled={TERMINAL.includes(status) || cancel.isPending}
          onClick={() => {
            if (window.confirm(`Cancel ${runId}? Completed steps are compensated.`)) cancel.mutate();
          }}
        >
          Cancel run
        </button>
      </div>
      <ErrorText error={cancel.error} />
      <div className="run-grid">
        <section aria-label="Graph" className="graph-wrap">
          {steps.length > 0 && <RunGraph steps={steps} needs={needs} {...(selected ? { selected } : {})} onSelect={setSelected} />}
        </section>
        <section aria-label="Step detail" className="step-detail">
          {step ? (
            <>
              <h2>
                Step {step.id} <Status value={step.status} />
              </h2>
              <p>
                type {step.type || '?'} · attempts {step.attempts}
                {step.startedAt && (
                  <>
                    {' '}
                    · started <When at={step.startedAt} />
                  </>
                )}
                {step.finishedAt && (
                  <>
                    {' '}
                    · finished <When at={step.finishedAt} />
                  </>
                )}
              </p>
              {step.error && <pre className="error">{step.error}</pre>}
              {step.output !== undefined && (
                <>
                  <h3>Output</h3>
                  <pre>{JSON.stringify(step.output, null, 2)}</pre>
                </>
              )}
              <h3>Log</h3>
              {step.logs.length ? (
                <pre className="log" data-testid="step-log">
                  {step.logs.join('\n')}
                </pre>
              ) : (
                <p className="muted">No log lines.</p>
              )}
            </>
          ) : (
            <p className="muted">Select a step in the graph to see its attempts, output and log.</p>
          )}
        </section>
      </div>
      <section aria-label="Approvals">
        <h2>Approvals</h2>
        {(run.data?.approvals ?? []).length === 0 && <p className="muted">No approval gates reached.</p>}
        {(run.data?.approvals ?? []).map((g) => (
          <div key={g.gateId} className="card">
            <ApprovalActions runId={runId} gate={g} requestedBy={run.data?.requestedBy} />
            {g.votes.length > 0 && (
              <ul>
                {g.votes.map((v) => (
                  <li key={`${v.approver}-${v.at}`}>
                    {v.approver}
                    {v.claimed ? ' (claimed)' : ''} {v.decision === 'approve' ? 'approved' : 'rejected'} via {v.via} at <When at={v.at} />
                    {v.comment ? `: ${v.comment}` : ''}
                  </li>
                ))}
              </ul>
            )}
          </div>
        ))}
      </section>
      {(compensation.length > 0 || run.data?.compensated) && (
        <section aria-label="Compensation">
          <h2>Compensation</h2>
          <ul>
            {compensation.map((e) => (
              <li key={e.seq}>
                {e.type} {describeEvent(e)}
              </li>
            ))}
          </ul>
        </section>
      )}
      <section aria-label="Timeline">
        <h2>Timeline</h2>
        <ol className="timeline" data-testid="timeline">
          {events.map((e) => (
            <li key={e.seq}>
              <span className="mono">#{e.seq}</span> <When at={e.createdAt} /> <strong>{e.type}</strong> {describeEvent(e)}
            </li>
          ))}
        </ol>
      </section>
    </div>
  );
}
