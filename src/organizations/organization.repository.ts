import { iso, Sql } from '../database/database.service';
import { AuthUser } from '../shared/auth/auth-user';
import { tenantScope } from '../shared/auth/tenant-scope';
import { WeekStart } from './organization.entity';

// Every SQL string of the organizations table. Reads that need no transaction of the caller's go
// through the Organization entity (OrganizationsService.list).

const ORGANIZATION_COLUMNS = `id, name, week_starts_on as "weekStartsOn", time_zone as "timeZone", low_units_percent as "lowUnitsPercent",
  expiring_within_days as "expiringWithinDays", ${iso('created_at')} as "createdAt"`;

/** An organization as ORGANIZATION_COLUMNS reads it: createdAt is ISO-8601 UTC text. */
export interface OrganizationRow {
  id: string;
  name: string;
  weekStartsOn: WeekStart;
  timeZone: string;
  lowUnitsPercent: number;
  expiringWithinDays: number;
  createdAt: string;
}

/** The settings a PATCH may change, by column. */
export interface OrganizationChanges {
  name?: string;
  week_starts_on?: WeekStart;
  time_zone?: string;
  low_units_percent?: number;
  expiring_within_days?: number;
}

const CHANGEABLE_COLUMNS = new Set(['name', 'week_starts_on', 'time_zone', 'low_units_percent', 'expiring_within_days']);

export const organizationRepository = {
  async insert(sql: Sql, id: string, name: string): Promise<OrganizationRow> {
    const [row] = await sql.query<OrganizationRow>(`insert into organizations (id, name) values (?, ?) returning ${ORGANIZATION_COLUMNS}`, [id, name]);
    return row;
  },

  async exists(sql: Sql, id: string): Promise<boolean> {
    return (await sql.query('select 1 from organizations where id = ?', [id])).length > 0;
  },

  /** The organization if it is the caller's own (any, for a SUPER_ADMIN). */
  async findVisible(sql: Sql, caller: AuthUser, id: string): Promise<OrganizationRow | undefined> {
    const scope = tenantScope(caller, 'id');
    const [row] = await sql.query<OrganizationRow>(`select ${ORGANIZATION_COLUMNS} from organizations where id = ?${scope.sql}`, [id, ...scope.params]);
    return row;
  },

  async update(sql: Sql, id: string, changes: OrganizationChanges): Promise<OrganizationRow> {
    const names = Object.keys(changes);
    if (names.some((n) => !CHANGEABLE_COLUMNS.has(n))) throw new Error(`not a changeable column of organizations: ${names.join(', ')}`);
    const [row] = await sql.query<OrganizationRow>(
      `update organizations set ${names.map((n) => `${n} = ?`).join(', ')} where id = ? returning ${ORGANIZATION_COLUMNS}`,
      [...Object.values(changes), id],
    );
    return row;
  },

  /** Whether PostgreSQL knows the time zone by this exact name (its `at time zone` computes the organization's today). */
  async isKnownTimeZone(sql: Sql, name: string): Promise<boolean> {
    return (await sql.query('select 1 from pg_timezone_names where name = ?', [name])).length > 0;
  },
};
