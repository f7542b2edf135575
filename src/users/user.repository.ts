import { iso, Sql } from '../database/database.service';
import { AuthUser } from '../shared/auth/auth-user';
import { Role } from '../shared/auth/role';
import { tenantScope } from '../shared/auth/tenant-scope';

// Every SQL string of the users table. Authentication reads users through the User entity
// (UserDirectory, AuthService.login); changes run as plain SQL inside the unit of work.

const USER_COLUMNS = `id, email, role, organization_id as "organizationId", active, ${iso('created_at')} as "createdAt"`;

/** A user as USER_COLUMNS reads it: createdAt is ISO-8601 UTC text (not a Date, as on the entity). */
export interface UserRow {
  id: string;
  email: string;
  role: Role;
  organizationId: string | null;
  active: boolean;
  createdAt: string;
}

export interface NewUser {
  id: string;
  email: string;
  passwordHash: string;
  role: Role;
  organizationId: string | null;
}

export const userRepository = {
  async insert(sql: Sql, u: NewUser): Promise<UserRow> {
    const [row] = await sql.query<UserRow>(
      `insert into users (id, email, password_hash, role, organization_id) values (?, ?, ?, ?, ?) returning ${USER_COLUMNS}`,
      [u.id, u.email, u.passwordHash, u.role, u.organizationId],
    );
    return row;
  },

  /** Inserts the user unless one has the email already; whether it did. */
  async insertIfAbsent(sql: Sql, u: NewUser): Promise<boolean> {
    const rows = await sql.query(
      `insert into users (id, email, password_hash, role, organization_id) values (?, ?, ?, ?, ?)
       on conflict (email) do nothing returning id`,
      [u.id, u.email, u.passwordHash, u.role, u.organizationId],
    );
    return rows.length > 0;
  },

  /** The user if they are in the caller's organization (any, for a SUPER_ADMIN). */
  async findVisible(sql: Sql, caller: AuthUser, id: string): Promise<UserRow | undefined> {
    const scope = tenantScope(caller, 'organization_id');
    const [row] = await sql.query<UserRow>(`select ${USER_COLUMNS} from users where id = ?${scope.sql}`, [id, ...scope.params]);
    return row;
  },

  /** The users the caller may see, in id order; `organizationId` narrows further (a SUPER_ADMIN's filter). */
  list(sql: Sql, caller: AuthUser, organizationId?: string): Promise<UserRow[]> {
    const scope = tenantScope(caller, 'organization_id');
    const filter = organizationId !== undefined ? { sql: ' and organization_id = ?', params: [organizationId] } : { sql: '', params: [] };
    return sql.query<UserRow>(`select ${USER_COLUMNS} from users where true${scope.sql}${filter.sql} order by id`, [...scope.params, ...filter.params]);
  },

  /**
   * Sets role and active. Deactivation and a role change end every token issued before them, for
   * good: the generation the tokens carry no longer matches (decided on the row's values of this
   * UPDATE, so a concurrent change cannot slip between a read and the write).
   */
  async updateRoleAndActive(sql: Sql, id: string, role: Role, active: boolean): Promise<UserRow> {
    const [row] = await sql.query<UserRow>(
      `update users set role = ?, active = ?,
         token_generation = token_generation + case when (active and not ?::boolean) or role <> ? then 1 else 0 end,
         updated_at = now()
       where id = ? returning ${USER_COLUMNS}`,
      [role, active, active, role, id],
    );
    return row;
  },
};
