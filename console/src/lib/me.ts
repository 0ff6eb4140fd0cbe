import { useQuery } from '@tanstack/react-query';
import { apiFetch } from './api';
import type { MeResponse, Role } from './types';

/**
 * Who the pasted token belongs to (GET /api/v1/me): subject, roles, permissions and where the
 * Temporal UI is. The console uses it to disable, with the reason, what the API would refuse; the
 * API still checks every request.
 */
export interface Me {
  subject: string;
  roles: Role[];
  temporalUiUrl?: string;
  temporalNamespace: string;
}

export async function fetchMe(token?: string): Promise<Me> {
  const body = await apiFetch<MeResponse>('/me', token ? { token } : {});
  return {
    subject: body.subject,
    roles: body.roles as Role[],
    ...(body.temporalUiUrl ? { temporalUiUrl: body.temporalUiUrl } : {}),
    temporalNamespace: body.temporalNamespace,
  };
}

export function useMe() {
  return useQuery({ queryKey: ['me'], queryFn: () => fetchMe(), staleTime: 60_000 });
}
