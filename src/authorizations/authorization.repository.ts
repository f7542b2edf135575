import { EntityManager } from '@mikro-orm/postgresql';
import { iso, Sql, SqlFragment } from '../database/database.service';
import { AuthUser } from '../shared/auth/auth-user';
import { tenantScope, tenantScopeOfMany, tenantWhere } from '../shared/auth/tenant-scope';
import { UnitCounters } from './authorization-rules';
import { Authorization } from './authorization.entity';

// Every SQL string of the authorizations table. Rows are read with plain SQL (one statement per
// step, no ORM change tracking; the unit operations are the measured hot path), in the camelCase
// shape of the entity; timestamps arrive as ISO-8601 text (see iso()), not as Date.

export const AUTHORIZATION_COLUMNS = `a.id, a.organization_id as "organizationId", a.patient_id as "patientId", a.payer,
  a.auth_number as "authNumber", a.service_code as "serviceCode", a.total_units as "totalUnits",
  a.used_units as "usedUnits", a.scheduled_units as "scheduledUnits", a.start_date as "startDate",
  a.end_date as "endDate", a.status, a.notes, ${iso('a.created_at')} as "createdAt", ${iso('a.updated_at')} as "updatedAt"`;

/** The effective status of SPEC §3 as SQL, for filtering lists; ? is today's date. Mirrors effectiveStatus(). */
export const EFFECTIVE_STATUS_SQL = `(case when a.status <> 'ACTIVE' then a.status
  when ?::date > a.end_date then 'EXPIRED'
  when a.total_units - a.used_units - a.scheduled_units = 0 then 'EXHAUSTED'
  else 'ACTIVE' end)`;

/** An authorization as AUTHORIZATION_COLUMNS reads it. */
export interface AuthorizationRow extends UnitCounters {
  id: string;
  organizationId: string;
  patientId: string;
  payer: string | null;
  authNumber: string;
  serviceCode: string;
  notes: string | null;
  /** ISO-8601 UTC text. */
  createdAt: string;
  updatedAt: string;
}

/** What `insert` writes: an authorization before any unit moved (no counters yet, no timestamps). */
export type NewAuthorization = Omit<AuthorizationRow, 'usedUnits' | 'scheduledUnits' | 'createdAt' | 'updatedAt'>;

export interface AuthorizationFilters {
  organizationId?: string;
  patientId?: string;
  serviceCode?: string;
  /** An effective status, as of `today`. */
  status?: string;
  today: string;
  /** Keyset pagination: ids after this one. */
  after?: string;
  limit: number;
}

export const authorizationRepository = {
  async insert(sql: Sql, a: NewAuthorization): Promise<AuthorizationRow> {
    const [row] = await sql.query<AuthorizationRow>(
      `insert into authorizations as a (id, organization_id, patient_id, payer, auth_number, service_code, total_units, start_date, end_date, status, notes)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning ${AUTHORIZATION_COLUMNS}`,
      [a.id, a.organizationId, a.patientId, a.payer, a.authNumber, a.serviceCode, a.totalUnits, a.startDate, a.endDate, a.status, a.notes],
    );
    return row;
  },

  /** The authorization if it is in the caller's organization (any, for a SUPER_ADMIN). */
  async findVisible(sql: Sql, caller: AuthUser, id: string): Promise<AuthorizationRow | undefined> {
    const scope = tenantScope(caller, 'a.organization_id');
    const [row] = await sql.query<AuthorizationRow>(`select ${AUTHORIZATION_COLUMNS} from authorizations a where a.id = ?${scope.sql}`, [id, ...scope.params]);
    return row;
  },

  /** Whether the authorization exists in the caller's organization, inside the caller's transaction. */
  async isVisible(sql: Sql, caller: AuthUser, id: string): Promise<boolean> {
    const scope = tenantScope(caller, 'organization_id');
    return (await sql.query(`select 1 from authorizations where id = ?${scope.sql}`, [id, ...scope.params])).length > 0;
  },

  /** The same, outside any transaction (the history reads), through the entity. */
  async exists(em: EntityManager, caller: AuthUser, id: string): Promise<boolean> {
    return (await em.count(Authorization, { id, ...tenantWhere(caller) })) > 0;
  },

  /** One page (limit + 1 rows, see toPage) in id order, within the caller's organization. */
  list(sql: Sql, caller: AuthUser, f: AuthorizationFilters): Promise<AuthorizationRow[]> {
    const scope = tenantScope(caller, 'a.organization_id');
    const where: string[] = [`true${scope.sql}`];
    const params: unknown[] = [...scope.params];
    if (f.organizationId !== undefined) (where.push('a.organization_id = ?'), params.push(f.organizationId));
    if (f.patientId !== undefined) (where.push('a.patient_id = ?'), params.push(f.patientId));
    if (f.serviceCode !== undefined) (where.push('a.service_code = ?'), params.push(f.serviceCode));
    if (f.status !== undefined) (where.push(`${EFFECTIVE_STATUS_SQL} = ?`), params.push(f.today, f.status));
    if (f.after !== undefined) (where.push('a.id > ?'), params.push(f.after));
    return sql.query<AuthorizationRow>(
      `select ${AUTHORIZATION_COLUMNS} from authorizations a where ${where.join(' and ')} order by a.id limit ?`,
      [...params, f.limit + 1],
    );
  },

  /** Sets the given columns (snake_case names from planUpdate) and updated_at. */
  async update(sql: Sql, id: string, columns: Record<string, unknown>): Promise<AuthorizationRow> {
    const names = Object.keys(columns);
    const [row] = await sql.query<AuthorizationRow>(
      `update authorizations as a set ${names.map((n) => `${n} = ?`).join(', ')}, updated_at = now() where a.id = ? returning ${AUTHORIZATION_COLUMNS}`,
      [...Object.values(columns), id],
    );
    return row;
  },

  async delete(sql: Sql, id: string): Promise<void> {
    await sql.query('delete from authorizations where id = ?', [id]);
  },

  /**
   * The authorizations of a batch of unit operations, by id, within the organizations of its
   * callers (tenantScopeOfMany; `undefined` is the service itself). Prepared: the hot path.
   */
  async findForBatch(sql: Sql, ids: string[], callers: (AuthUser | undefined)[]): Promise<Map<string, AuthorizationRow>> {
    const scope = tenantScopeOfMany(callers, 'a.organization_id');
    const rows = await sql.query<AuthorizationRow>(`select ${AUTHORIZATION_COLUMNS} from authorizations a where a.id = any(?::uuid[])${scope.sql}`, [ids, ...scope.params], { prepare: true });
    return new Map(rows.map((row) => [row.id, row]));
  },

  /** The batch write's part for the counters: each authorization's used/scheduled units change by its deltas. */
  countersPart(changes: { authorizationId: string; used: number; scheduled: number }[], now: string): SqlFragment {
    const ids = changes.map((c) => c.authorizationId);
    return {
      sql: `counters as (update authorizations as a set used_units = used_units + v.used, scheduled_units = scheduled_units + v.scheduled, updated_at = ?
          from unnest(?::uuid[], ?::int[], ?::int[]) as v (id, used, scheduled)
          where a.id = any(?::uuid[]) and a.id = v.id)`,
      params: [now, ids, changes.map((c) => c.used), changes.map((c) => c.scheduled), ids],
    };
  },

  /**
   * Runs the parts of a batch's write (see UnitBatchWrite) as one statement, one round trip, and
   * returns how many rows the part named `finished` changed (0 without that part).
   */
  async writeBatch(tx: Sql, parts: SqlFragment[], countFinished: boolean): Promise<number> {
    const count = countFinished ? '(select count(*) from finished)::int' : '0';
    const [result] = await tx.query<{ finished: number }>(`with ${parts.map((p) => p.sql).join(',\n')} select ${count} as finished`, parts.flatMap((p) => p.params), { prepare: true });
    return result.finished;
  },
};
