import { AuthUser } from './auth-user';
import { Role } from './role';

/** A condition for plain SQL: text to append to a WHERE clause, and its parameters. */
export interface SqlCondition {
  sql: string;
  params: unknown[];
}

/**
 * Tenant isolation in the query itself, the one way every repository applies it:
 * `and <column> = ?` (the caller's organization) for everyone but a SUPER_ADMIN, who sees all.
 * Rows of another organization are simply not found (404), never "forbidden".
 */
export function tenantScope(caller: AuthUser, column: string): SqlCondition {
  return caller.role === Role.SUPER_ADMIN ? { sql: '', params: [] } : { sql: ` and ${column} = ?`, params: [caller.organizationId] };
}
