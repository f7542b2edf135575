import type { SqlFragment } from '../../database/database.service';
import { AuthUser } from './auth-user';
import { Role } from './role';

// Tenant isolation, the one way every repository and decision applies it: a caller sees the rows
// of their own organization; a SUPER_ADMIN (and the service itself, e.g. the expiry sweeper) sees
// all. Rows of another organization are simply not found (404), never "forbidden".

/** Whether the caller may see a row of `organizationId`. */
export function canSee(caller: AuthUser, organizationId: string): boolean {
  return caller.role === Role.SUPER_ADMIN || caller.organizationId === organizationId;
}

/** For the ORM: a `where` condition on the entity's `organizationId`, empty for a SUPER_ADMIN. */
export function tenantWhere(caller: AuthUser): { organizationId?: string | null } {
  return caller.role === Role.SUPER_ADMIN ? {} : { organizationId: caller.organizationId };
}

/** For plain SQL: `and <column> = ?` (the caller's organization), nothing for a SUPER_ADMIN. */
export function tenantScope(caller: AuthUser, column: string): SqlFragment {
  return caller.role === Role.SUPER_ADMIN ? { sql: '', params: [] } : { sql: ` and ${column} = ?`, params: [caller.organizationId] };
}

/**
 * For a statement that serves several callers at once (a batch of unit operations): rows of any of
 * their organizations; all rows when one of them is a SUPER_ADMIN or the service itself
 * (`undefined`). Written `(…) is not false` so that it can only filter: without statistics
 * PostgreSQL otherwise looked the rows up through the organization index — reading every row of
 * the organization, and locking all of it for SERIALIZABLE's conflict checks.
 */
export function tenantScopeOfMany(callers: (AuthUser | undefined)[], column: string): SqlFragment {
  const unscoped = callers.some((c) => c === undefined || c.role === Role.SUPER_ADMIN);
  const organizations = [...new Set(callers.flatMap((c) => (c?.organizationId ? [c.organizationId] : [])))];
  return { sql: ` and (?::boolean or ${column} = any(?::uuid[])) is not false`, params: [unscoped, organizations] };
}
