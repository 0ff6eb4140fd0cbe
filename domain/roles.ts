import { z } from 'zod';

/** Roles a principal can hold. admin implies every other role; operator and approver imply viewer. */
export const Role = z.enum(['viewer', 'operator', 'approver', 'admin']);
export type Role = z.infer<typeof Role>;

/** An authenticated caller: identity comes from the token, never from a request body. */
export const Principal = z.object({
  sub: z.string().min(1),
  roles: z.array(Role),
});
export type Principal = z.infer<typeof Principal>;

const implied: Record<Role, readonly Role[]> = {
  viewer: ['viewer'],
  operator: ['operator', 'viewer'],
  approver: ['approver', 'viewer'],
  admin: ['admin', 'operator', 'approver', 'viewer'],
};

export function hasRole(principal: Pick<Principal, 'roles'>, role: Role): boolean {
  return principal.roles.some((held) => implied[held].includes(role));
}

export function hasAnyRole(principal: Pick<Principal, 'roles'>, roles: readonly Role[]): boolean {
  return roles.some((role) => hasRole(principal, role));
}
