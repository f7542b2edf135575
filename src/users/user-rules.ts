import { AuthUser } from '../shared/auth/auth-user';
import { Role } from '../shared/auth/role';
import { ForbiddenError, ValidationFailedError } from '../shared/errors/api-error';

/** The organization a new user joins, or a 403/400 when the caller may not create such a user. */
export function organizationForNewUser(caller: AuthUser, role: Role, requestedOrganizationId?: string): string | null {
  if (caller.role !== Role.SUPER_ADMIN) {
    if (role === Role.SUPER_ADMIN) throw new ForbiddenError('An ADMIN may not create a SUPER_ADMIN');
    if (requestedOrganizationId !== undefined && requestedOrganizationId !== caller.organizationId) {
      throw new ForbiddenError('An ADMIN may only create users of their own organization');
    }
    return caller.organizationId;
  }
  if (role === Role.SUPER_ADMIN) {
    if (requestedOrganizationId !== undefined) {
      throw new ValidationFailedError([{ field: 'organizationId', message: 'a SUPER_ADMIN belongs to no organization' }]);
    }
    return null;
  }
  if (requestedOrganizationId === undefined) {
    throw new ValidationFailedError([{ field: 'organizationId', message: 'organizationId is required for this role' }]);
  }
  return requestedOrganizationId;
}

/** Checks a role/active change of `target` by `caller` (SPEC §5, PATCH /users/:id). */
export function checkUserUpdate(
  caller: AuthUser,
  target: { id: string; role: Role },
  change: { role?: Role; active?: boolean },
): void {
  const self = caller.id === target.id;
  if (self && change.role !== undefined && change.role !== target.role) throw new ForbiddenError('You may not change your own role');
  if (self && change.active === false) throw new ForbiddenError('You may not deactivate yourself');
  if (caller.role !== Role.SUPER_ADMIN && change.role === Role.SUPER_ADMIN) {
    throw new ForbiddenError('An ADMIN may not grant SUPER_ADMIN');
  }
  if (change.role !== undefined && (change.role === Role.SUPER_ADMIN) !== (target.role === Role.SUPER_ADMIN)) {
    throw new ValidationFailedError([
      { field: 'role', message: 'SUPER_ADMIN belongs to no organization: create a new user instead of moving between them' },
    ]);
  }
}
