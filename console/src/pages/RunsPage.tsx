import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'wouter';
import { ErrorText } from '../components/ErrorText';
import { Status, When } from '../components/Status';
import { apiFetch } from '../lib/api';
import type { RunSummary } from '../lib/types';

const STATUSES = ['', 'running', 'waiting_approval', 'paused', 'compensating', 'succeeded', 'failed', 'cancelled'];

/** GET /api/v1/runs with status / runbook / requester filters and token paging (newest first). */
export function RunsPage() {
  const [filters, setFilters] = useState({ status: '', runbook: '', requestedBy: '' });
  const [draft, setDraft] = useState(filters);
  const [pages, setPages] = useState<string[]>([]); // page tokens of the pages before the current one
  const [token, setToken] = useState<string | undefined>();
  const query = new URLSearchParams({ limit: '20' });
  if (filters.status) query.set('status', filters.status);
  if (filters.runbook) query.set('runbook', filters.runbook);
  if (filters.requestedBy) query.set('requester', filters.requestedBy);
  if (token) query.set('pageToken', token);
  const runs = useQuery({
    queryKey: ['runs', query.toString()],
    queryFn: () => apiFetch<{ items: RunSummary[]; nextPageToken?: string }>(`/runs?${query.toString()}`),
    refetchInterval: 5000,
  });
  return (
    <div>
      <h1>Runs</h1>
      <form
        className="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters(draft);
          setPages([]);
          setToken(undefined);
        }}
      >
        <label>
          Status
          <select value={draft.status} onChange={(e) => setDraft({ ...draft, status: e.target.value })}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s || 'any'}
              </option>
            ))}
          </select>
        </label>
        <label>
          Runbook
          <input value={draft.runbook} onChange={(e) => setDraft({ ...draft, runbook: e.target.value })} placeholder="deploy-service" />
        </label>
        <label>
          Requester
          <input value={draft.requestedBy} onChange={(e) => setDraft({ ...draft, requestedBy: e.target.value })} placeholder="alice" />
        </label>
        <button type="submit">Filter</button>
      </form>
      <ErrorText error={runs.error} />
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th>Run</th>
              <th>Runbook</th>
              <th>Status</th>
              <th>Requested by</th>
              <th>Started</th>
            </tr>
          </thead>
          <tbody>
            {(runs.data?.items ?? []).map((r) => (
              <tr key={r.runId}>
                <td>
                  <Link href={`/runs/${r.runId}`}>{r.runId}</Link>
                </td>
                <td>{r.runbook}</td>
                <td>
                  <Status value={r.status} />
                </td>
                <td>{r.requestedBy}</td>
                <td>
                  <When at={r.startTime} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {runs.data && runs.data.items.length === 0 && <p className="muted">No runs.</p>}
      <div className="buttons">
        <button
          type="button"
          className="secondary"
          disabled={pages.length === 0}
          onClick={() => {
            setToken(pages[pages.length - 1] || undefined);
            setPages(pages.slice(0, -1));
          }}
        >
          Previous
        </button>
        <button
          type="button"
          className="secondary"
          disabled={!runs.data?.nextPageToken}
          onClick={() => {
            setPages([...pages, token ?? '']);
            setToken(runs.data?.nextPageToken);
          }}
        >
          Next
        </button>
      </div>
    </div>
  );
}
