import { useQuery } from '@tanstack/react-query';
import { Link } from 'wouter';
import { ErrorText } from '../components/ErrorText';
import { Status, When } from '../components/Status';
import { apiFetch } from '../lib/api';
import type { IncidentRow } from '../lib/types';

export function IncidentsPage() {
  const list = useQuery({ queryKey: ['incidents'], queryFn: () => apiFetch<{ items: IncidentRow[] }>('/incidents?limit=50'), refetchInterval: 10_000 });
  return (
    <div>
      <h1>Incidents</h1>
      <ErrorText error={list.error} />
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th>Incident</th>
              <th>Severity</th>
              <th>Status</th>
              <th>Service</th>
              <th>Opened</th>
            </tr>
          </thead>
          <tbody>
            {(list.data?.items ?? []).map((i) => (
              <tr key={i.incidentId}>
                <td>
                  <Link href={`/incidents/${i.incidentId}`}>{i.title}</Link> <span className="mono muted">{i.incidentId}</span>
                </td>
                <td>
                  <Status value={i.severity} />
                </td>
                <td>
                  <Status value={i.status} />
                </td>
                <td>{i.service ?? ''}</td>
                <td>
                  <When at={i.createdAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {list.data && list.data.items.length === 0 && <p className="muted">No incidents.</p>}
    </div>
  );
}
