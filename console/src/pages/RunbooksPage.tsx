import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { ErrorText } from '../components/ErrorText';
import { apiFetch } from '../lib/api';
import type { RunbookSummary } from '../lib/types';

export function RunbooksPage() {
  const list = useQuery({ queryKey: ['runbooks'], queryFn: () => apiFetch<{ items: RunbookSummary[] }>('/runbooks') });
  return (
    <div>
      <h1>Runbooks</h1>
      <ErrorText error={list.error} />
      <ul className="cards">
        {(list.data?.items ?? []).map((r) => (
          <li key={r.name} className="card">
            <h2>
              <Link href={`/runbooks/${r.name}`}>{r.name}</Link>
            </h2>
            <p>{r.description}</p>
            <p className="muted">
              {r.steps} step(s) · params: {Object.keys(r.params).join(', ') || 'none'}
            </p>
          </li>
        ))}
      </ul>
    </div>
  );
}
