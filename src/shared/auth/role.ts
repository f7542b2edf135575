import { ValidationFailedError } from '../errors/api-error';

export enum Role {
  SUPER_ADMIN = 'SUPER_ADMIN',
  ADMIN = 'ADMIN',
  PRACTITIONER = 'PRACTITIONER',
  VIEWER = 'VIEWER',
}

export const ALL_ROLES = Object.values(Role);
/** Who may move units (reserve, release, consume). */
export const UNIT_OPERATORS = [Role.SUPER_ADMIN, Role.ADMIN, Role.PRACTITIONER];
/** Who may manage users and authorizations. */
export const MANAGERS = [Role.SUPER_ADMIN, Role.ADMIN];

/**
 * A list filter only a SUPER_ADMIN may use (`?organizationId=`): anyone else's list is always
 * their own organization's, and a filter that would be silently ignored is refused instead.
 */
export function superAdminFilter<T>(role: Role, field: string, value: T | undefined): T | undefined {
  if (value !== undefined && role !== Role.SUPER_ADMIN) {
    throw new ValidationFailedError([{ field, message: `${field} is a filter for SUPER_ADMIN only; your lists always show your own organization` }]);
  }
  return value;
}
