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

/** A weekly cap whose CONSUMED units in one regrouped week exceed it. */
export interface WeeklyCapOverrun {
  capId: string;
  periodStart: string;
  capUnits: number;
  heldUnits: number;
}

/**
 * Each weekly cap's CONSUMED reservations (an authorization-level cap counts every line, a line's
 * cap its own) with the start of their week under the new week start (the first `?`).
 */
const CONSUMED_BY_NEW_WEEK = `authorization_caps c
  join authorizations a on a.id = c.authorization_id
  join reservations r on r.authorization_id = c.authorization_id and (c.line_id is null or r.line_id = c.line_id) and r.status = 'CONSUMED'
  cross join lateral (select unit_period_start('WEEK', r.service_date, ?) as start) p`;

const CHANGEABLE_COLUMNS = new Set(['name', 'week_starts_on', 'time_zone', 'low_units_percent', 'expiring_within_days']);

export const organizationRepository = {
  async insert(sql: Sql, id: string, name: string): Promise<OrganizationRow> {
    const [row] = await sql.query<OrganizationRow>(`insert into organizations (id, name) values (?, ?) returning ${ORGANIZATION_COLUMNS}`, [id, name]);
    return row;
  },

  async find(sql: Sql, id: string): Promise<OrganizationRow | undefined> {
    const [row] = await sql.query<OrganizationRow>(`select ${ORGANIZATION_COLUMNS} from organizations where id = ?`, [id]);
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

  /** Units held SCHEDULED in the weekly cap buckets of the organization's authorizations (SPEC §10: then weekStartsOn may not change). */
  async weeklyScheduledUnits(sql: Sql, organizationId: string): Promise<number> {
    const [row] = await sql.query<{ scheduledUnits: number }>(
      `select coalesce(sum(b.scheduled_units), 0)::int as "scheduledUnits"
       from cap_buckets b join authorizations a on a.id = b.authorization_id
       where a.organization_id = ? and b.period = 'WEEK' and b.scheduled_units > 0`,
      [organizationId],
    );
    return row.scheduledUnits;
  },

  /**
   * The first week (by its start, then cap) in which the CONSUMED units of a weekly cap would exceed
   * the cap once weeks start on `weekStartsOn`; undefined when every regrouped week fits.
   */
  async weeklyCapOverrun(sql: Sql, organizationId: string, weekStartsOn: WeekStart): Promise<WeeklyCapOverrun | undefined> {
    const [row] = await sql.query<WeeklyCapOverrun>(
      `select c.id as "capId", p.start::text as "periodStart", c.units as "capUnits", sum(r.consumed_units)::int as "heldUnits"
       from ${CONSUMED_BY_NEW_WEEK}
       where a.organization_id = ? and c.period = 'WEEK'
       group by c.id, p.start, c.units having sum(r.consumed_units) > c.units
       order by p.start, c.id limit 1`,
      [weekStartsOn, organizationId],
    );
    return row;
  },

  /**
   * The organization's weekly cap buckets again, for weeks starting on `weekStartsOn`: the old ones
   * go, and each cap gets one bucket per new week holding the units CONSUMED in it (no SCHEDULED
   * units: the caller has checked there are none, weeklyScheduledUnits). The buckets' CHECK refuses
   * a week over its cap (weeklyCapOverrun reports it first).
   */
  async rebuildWeeklyBuckets(sql: Sql, organizationId: string, weekStartsOn: WeekStart): Promise<void> {
    await sql.query(
      `delete from cap_buckets b using authorizations a where a.id = b.authorization_id and a.organization_id = ? and b.period = 'WEEK'`,
      [organizationId],
    );
    await sql.query(
      `insert into cap_buckets (cap_id, period_start, authorization_id, period, period_end, cap_units, used_units, scheduled_units)
       select c.id, p.start, c.authorization_id, 'WEEK', p.start + 6, c.units, sum(r.consumed_units)::int, 0
       from ${CONSUMED_BY_NEW_WEEK}
       where a.organization_id = ? and c.period = 'WEEK'
       group by c.id, p.start, c.authorization_id, c.units`,
      [weekStartsOn, organizationId],
    );
  },

  /** Whether PostgreSQL knows the time zone by this exact name (its `at time zone` computes the organization's today). */
  async isKnownTimeZone(sql: Sql, name: string): Promise<boolean> {
    return (await sql.query('select 1 from pg_timezone_names where name = ?', [name])).length > 0;
  },
};
