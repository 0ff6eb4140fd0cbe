import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useLocation, useParams } from 'wouter';
import { ErrorText } from '../components/ErrorText';
import { ApiError, apiFetch, apiPost } from '../lib/api';
import type { ParamSpec, RunbookDefinition, RunPlan } from '../lib/types';

/**
 * One runbook: its steps, a start form generated from its param specs (types, enums, patterns,
 * defaults), the API's validation errors shown next to the field they name (`params.<name>`), and
 * a dry-run plan (POST /api/v1/runs/plan).
 */
type Values = Record<string, string | boolean>;

function initial(params: Record<string, ParamSpec>): Values {
  const v: Values = {};
  for (const [name, spec] of Object.entries(params)) {
    if (spec.type === 'boolean') v[name] = spec.default === true;
    else if (spec.default !== undefined) v[name] = typeof spec.default === 'string' ? spec.default : JSON.stringify(spec.default);
    else v[name] = '';
  }
  return v;
}

/** Form values as the API expects them; unparsable input is sent as typed so the API names the field. */
function toParams(params: Record<string, ParamSpec>, values: Values): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(params)) {
    const raw = values[name];
    if (raw === undefined || raw === '') continue;
    if (spec.type === 'boolean') out[name] = raw === true;
    else if (spec.type === 'number' || spec.type === 'integer') out[name] = Number.isFinite(Number(raw)) ? Number(raw) : raw;
    else if (spec.type === 'array' || spec.type === 'object') {
      try {
        out[name] = JSON.parse(String(raw));
      } catch {
        out[name] = raw;
      }
    } else out[name] = raw;
  }
  return out;
}

function Field({ name, spec, value, error, onChange }: { name: string; spec: ParamSpec; value: string | boolean; error?: string; onChange: (v: string | boolean) => void }) {
  const id = `param-${name}`;
  const described = [spec.description ? `${id}-desc` : '', error ? `${id}-err` : ''].filter(Boolean).join(' ') || undefined;
  let input;
  if (spec.type === 'boolean') {
    input = <input id={id} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked)} aria-describedby={described} />;
  } else if (spec.enum) {
    input = (
      <select id={id} value={String(value)} onChange={(e) => onChange(e.target.value)} aria-describedby={described} aria-invalid={error ? true : undefined}>
        {!spec.required || value === '' ? <option value="">—</option> : null}
        {spec.enum.map((o) => (
          <option key={String(o)} value={String(o)}>
            {String(o)}
          </option>
        ))}
      </select>
    );
  } else if (spec.type === 'array' || spec.type === 'object') {
    input = (
      <textarea
        id={id}
        rows={3}
        value={String(value)}
        onChange={(e) => onChange(e.target.value)}
        placeholder={spec.type === 'array' ? '["a", "b"]' : '{"key": "value"}'}
        aria-describedby={described}
        aria-invalid={error ? true : undefined}
      />
    );
  } else {
    const numeric = spec.type === 'number' || spec.type === 'integer';
    input = (
      <input
        id={id}
        type={numeric ? 'number' : 'text'}
        inputMode={numeric ? 'decimal' : undefined}
        step={spec.type === 'integer' ? 1 : 'any'}
        min={spec.minimum}
        max={spec.maximum}
        value={String(value)}
        onChange={(e) => onChange(e.target.value)}
        aria-describedby={described}
        aria-invalid={error ? true : undefined}
      />
    );
  }
  return (
    <div className={`field${error ? ' invalid' : ''}`}>
      <label htmlFor={id}>
        {name}
        {spec.required ? ' *' : ''}{' '}
        <span className="muted">
          {spec.type}
          {spec.pattern ? ` · pattern ${spec.pattern}` : ''}
          {spec.minimum !== undefined ? ` · ≥ ${spec.minimum}` : ''}
          {spec.maximum !== undefined ? ` · ≤ ${spec.maximum}` : ''}
        </span>
      </label>
      {input}
      {spec.description && (
        <p id={`${id}-desc`} className="hint">
          {spec.description}
        </p>
      )}
      {error && (
        <p id={`${id}-err`} className="field-error" data-testid={`error-${name}`}>
          {error}
        </p>
      )}
    </div>
  );
}

/** POST /runs/plan: the steps in batch order with their rendered actions, and which gates will stop the run. */
function PlanView({ plan }: { plan: RunPlan }) {
  const byId = new Map(plan.steps.map((s) => [s.id, s]));
  return (
    <div data-testid="plan">
      <ol className="plan">
        {plan.batches.map((batch, i) => (
          <li key={i}>
            <strong>batch {i + 1}</strong>
            <ul>
              {batch.map((id) => {
                const step = byId.get(id);
                return (
                  <li key={id}>
                    <code>{id}</code> {step?.type}
                    {step?.when && (
                      <span className="muted">
                        {' '}
                        · when {step.when.expression} → {step.when.outcome}
                      </span>
                    )}
                    {step && step.gatedBy.length > 0 && <span className="muted"> · after gate {step.gatedBy.join(', ')}</span>}
                    {step && step.unresolved.length > 0 && <span className="muted"> · resolved at run time: {step.unresolved.join(', ')}</span>}
                    {step && Object.keys(step.action).length > 0 && <pre>{JSON.stringify(step.action, null, 2)}</pre>}
                  </li>
                );
              })}
            </ul>
          </li>
        ))}
      </ol>
      <h3>Gates</h3>
      {plan.gates.length === 0 && <p className="muted">No approval gates.</p>}
      <ul>
        {plan.gates.map((g) => (
          <li key={g.gateId}>
            <code>{g.gateId}</code>{' '}
            <span className={`status status-${g.stops === 'stop' ? 'waiting_approval' : 'skipped'}`}>
              {g.stops === 'stop' ? 'will stop the run' : g.stops === 'skipped' ? 'skipped' : 'decided at run time'}
            </span>{' '}
            roles {g.roles.join(', ')} × {g.count}
            {g.fourEyes ? ' · four eyes' : ''}
            {g.fourEyes && !g.requesterMayApprove ? ' (you cannot approve your own run)' : ''}
            {g.message ? ` · ${g.message}` : ''}
          </li>
        ))}
      </ul>
    </div>
  );
}

export function RunbookPage() {
  const { name } = useParams<{ name: string }>();
  const [, navigate] = useLocation();
  const def = useQuery({ queryKey: ['runbook', name], queryFn: () => apiFetch<RunbookDefinition>(`/runbooks/${name}`) });
  const [values, setValues] = useState<Values | undefined>();
  const params = def.data?.params ?? {};
  const current = values ?? initial(params);
  const start = useMutation({
    mutationFn: () => apiPost<{ runId: string }>('/runs', { runbook: name, params: toParams(params, current) }),
    onSuccess: ({ runId }) => navigate(`/runs/${runId}`),
  });
  const plan = useMutation({ mutationFn: () => apiPost<RunPlan>('/runs/plan', { runbook: name, params: toParams(params, current) }) });
  const problem = [start.error, plan.error].find((e): e is ApiError => e instanceof ApiError);

  function submit(e: FormEvent) {
    e.preventDefault();
    plan.reset();
    start.mutate();
  }

  return (
    <div>
      <h1>{name}</h1>
      <ErrorText error={def.error} />
      {def.data && (
        <>
          <p>{def.data.description}</p>
          <form onSubmit={submit} noValidate aria-label="Start run">
            {Object.entries(params).map(([p, spec]) => (
              <Field
                key={p}
                name={p}
                spec={spec}
                value={current[p] ?? ''}
                {...(problem?.fieldError(`params.${p}`) ? { error: problem.fieldError(`params.${p}`)! } : {})}
                onChange={(v) => setValues({ ...current, [p]: v })}
              />
            ))}
            {Object.keys(params).length === 0 && <p className="muted">No parameters.</p>}
            <div className="buttons">
              <button type="submit" disabled={start.isPending}>
                Start run
              </button>
              <button
                type="button"
                className="secondary"
                disabled={plan.isPending}
                onClick={() => {
                  start.reset();
                  plan.mutate();
                }}
              >
                Plan (dry run)
              </button>
            </div>
          </form>
          {problem && <ErrorText error={problem} />}
          {plan.error && !(plan.error instanceof ApiError) && <ErrorText error={plan.error} />}
          {plan.data !== undefined && (
            <section aria-label="Plan">
              <h2>Plan</h2>
              <PlanView plan={plan.data} />
            </section>
          )}
          <h2>Steps</h2>
          <ol>
            {def.data.steps.map((s) => (
              <li key={s.id}>
                <code>{s.id}</code> {s.type}
                {s.needs.length ? ` · needs ${s.needs.join(', ')}` : ''}
                {s.when ? ` · when ${s.when}` : ''}
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}
