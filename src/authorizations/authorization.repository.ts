import { EntityManager } from '@mikro-orm/postgresql';
import { iso, Sql, SqlFragment } from '../database/database.service';
import { AuthUser } from '../shared/auth/auth-user';
import { tenantScope, tenantScopeOfMany, tenantWhere } from '../shared/auth/tenant-scope';
import { UnitCounters } from './authorization-rules';
import { Authorization } from './authorization.entity';
import { BucketRow, CapRow, LineRow, WeekStart } from './unit-limits';

// Every SQL string of the authorizations table. Rows are read with plain SQL (one statement per
// step, no ORM change tracking; the unit operations are the measured hot path), in the camelCase
// shape of the entity; timestamps arrive as ISO-8601 text (see iso()), not as Date.

/** The authorization row's own columns (what an insert can return). */
const CORE_COLUMNS = `a.id, a.organization_id as "organizationId", a.patient_id as "patientId", a.payer,
  a.auth_number as "authNumber", a.service_code as "serviceCode", a.total_units as "totalUnits",
  a.pool_units as "poolUnits", a.lines_total_units as "linesTotalUnits",
  a.used_units as "usedUnits", a.scheduled_units as "scheduledUnits", a.start_date as "startDate",
  a.end_date as "endDate", a.status, a.notes, ${iso('a.created_at')} as "createdAt", ${iso('a.updated_at')} as "updatedAt"`;

// With its lines and caps (SPEC §10) as JSON arrays in id order (ids are time-ordered: creation
// order), and its organization's settings that decide "today" and the weeks of its caps. A sole
// line (migration 20261206000000) is read off the authorization row itself, its units being the
// authorization's, and caps are read only where `capped`: the hot path of the common authorization
// reads two rows by primary key (itself and its organization). Read FROM_AUTHORIZATIONS (o joined).
export const AUTHORIZATION_COLUMNS = `${CORE_COLUMNS},
  o.time_zone as "timeZone", o.week_starts_on as "weekStartsOn", o.low_units_percent as "lowUnitsPercent",
  case when a.sole_line_id is not null then json_build_array(json_build_object('id', a.sole_line_id, 'serviceCode', a.service_code,
     'modifiers', a.sole_line_modifiers, 'totalUnits', a.total_units, 'usedUnits', a.used_units, 'scheduledUnits', a.scheduled_units, 'sole', true))
  else (select coalesce(json_agg(json_build_object('id', l.id, 'serviceCode', l.service_code, 'modifiers', l.modifiers, 'totalUnits', l.total_units,
     'usedUnits', l.used_units, 'scheduledUnits', l.scheduled_units, 'sole', false) order by l.id), '[]'::json)
   from authorization_lines l where l.authorization_id = a.id) end as lines,
  case when a.capped then (select coalesce(json_agg(json_build_object('id', c.id, 'lineId', c.line_id, 'period', c.period, 'units', c.units) order by c.id), '[]'::json)
   from authorization_caps c where c.authorization_id = a.id) else '[]'::json end as caps`;

const FROM_AUTHORIZATIONS = 'authorizations a join organizations o on o.id = a.organization_id';

/** The organization's today for an instant (?), as SQL: its local date in its time zone (o: FROM_AUTHORIZATIONS). */
export const ORGANIZATION_TODAY_SQL = `(?::timestamptz at time zone o.time_zone)::date`;

/** The effective status of SPEC §3 as SQL, for filtering lists; ? is now. Mirrors effectiveStatus(). */
export const EFFECTIVE_STATUS_SQL = `(case when a.status <> 'ACTIVE' then a.status
  when ${ORGANIZATION_TODAY_SQL} > a.end_date then 'EXPIRED'
  when least(a.total_units, a.lines_total_units) - a.used_units - a.scheduled_units = 0 then 'EXHAUSTED'
  else 'ACTIVE' end)`;

/** An authorization as AUTHORIZATION_COLUMNS reads it. */
export interface AuthorizationRow extends UnitCounters {
  id: string;
  organizationId: string;
  patientId: string;
  payer: string | null;
  authNumber: string;
  /** The single line's code; null with several lines. */
  serviceCode: string | null;
  poolUnits: number | null;
  linesTotalUnits: number;
  notes: string | null;
  /** ISO-8601 UTC text. */
  createdAt: string;
  updatedAt: string;
  timeZone: string;
  weekStartsOn: WeekStart;
  /** Its organization's threshold for authorization.low_units (SPEC §11). */
  lowUnitsPercent: number;
  lines: LineRow[];
  caps: CapRow[];
}

/** What `insert` writes: an authorization before any unit moved (no counters yet, no timestamps, lines and caps apart). */
export type NewAuthorization = Omit<AuthorizationRow, 'usedUnits' | 'scheduledUnits' | 'createdAt' | 'updatedAt' | 'timeZone' | 'weekStartsOn' | 'lowUnitsPercent' | 'lines' | 'caps'>;

/** A batch's change to one bucket of a cap. */
export interface BucketChange {
  authorizationId: string;
  bucket: BucketRow;
  used: number;
  scheduled: number;
}

/** A line to create, its modifiers canonical (canonicalModifiers). */
export type NewLine = Omit<LineRow, 'usedUnits' | 'scheduledUnits' | 'sole'>;

export interface AuthorizationFilters {
  organizationId?: string;
  patientId?: string;
  serviceCode?: string;
  /** An effective status, as of `now` in each organization's time zone. */
  status?: string;
  now: string;
  /** Keyset pagination: ids after this one. */
  after?: string;
  limit: number;
}

export const authorizationRepository = {
  /**
   * The authorization, then its lines, then its caps (each statement satisfies the checks of the
   * rows before it); answered from what was written, without reading it back: a read of the newest
   * index pages would conflict, under SERIALIZABLE, with every authorization created at the same time.
   */
  async insert(sql: Sql, a: NewAuthorization, lines: NewLine[], caps: CapRow[], organization: Pick<AuthorizationRow, 'timeZone' | 'weekStartsOn' | 'lowUnitsPercent'>): Promise<AuthorizationRow> {
    // One line and no pool: a sole line, counted on the authorization (migration 20261206000000).
    const sole = lines.length === 1 && a.poolUnits === null ? lines[0] : undefined;
    const [row] = await sql.query<Omit<AuthorizationRow, 'timeZone' | 'weekStartsOn' | 'lowUnitsPercent' | 'lines' | 'caps'>>(
      `insert into authorizations as a (id, organization_id, patient_id, payer, auth_number, service_code, total_units, pool_units, pooled, lines_total_units,
         start_date, end_date, status, notes, sole_line_id, sole_line_modifiers, capped)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning ${CORE_COLUMNS}`,
      [
        a.id, a.organizationId, a.patientId, a.payer, a.authNumber, a.serviceCode, a.totalUnits, a.poolUnits, a.poolUnits !== null, a.linesTotalUnits,
        a.startDate, a.endDate, a.status, a.notes, sole?.id ?? null, sole?.modifiers ?? null, caps.length > 0,
      ],
    );
    await this.insertLines(sql, a.id, a.organizationId, a.poolUnits !== null, lines, sole !== undefined);
    await this.insertCaps(sql, a.id, caps, true);
    const { timeZone, weekStartsOn, lowUnitsPercent } = organization;
    return { ...row, timeZone, weekStartsOn, lowUnitsPercent, lines: lines.map((l) => ({ ...l, usedUnits: 0, scheduledUnits: 0, sole: sole !== undefined })), caps };
  },

  /**
   * `pooled`: whether the authorization has a pool (the lines' foreign key requires the same);
   * `sole`: the one line is its authorization's sole line, with no counters of its own.
   */
  async insertLines(sql: Sql, authorizationId: string, organizationId: string, pooled: boolean, lines: NewLine[], sole = false): Promise<void> {
    await sql.query(
      `insert into authorization_lines (id, authorization_id, organization_id, pooled, service_code, modifiers, total_units, sole_of, used_units, scheduled_units)
       select v.id, ?, ?, ?, v.code, v.modifiers, v.total, ?, ?, ? from unnest(?::uuid[], ?::text[], ?::text[], ?::int[]) as v (id, code, modifiers, total)`,
      [
        authorizationId, organizationId, pooled, sole ? authorizationId : null, sole ? null : 0, sole ? null : 0,
        lines.map((l) => l.id), lines.map((l) => l.serviceCode), lines.map((l) => l.modifiers), lines.map((l) => l.totalUnits),
      ],
    );
  },

  /**
   * The sole line gets its counters (the authorization's) back, before a second line joins it; the
   * caller clears the authorization's sole_line_id in the same transaction (the foreign keys are deferred).
   */
  async endSoleLine(sql: Sql, authorizationId: string): Promise<void> {
    await sql.query(
      `update authorization_lines l set used_units = a.used_units, scheduled_units = a.scheduled_units, sole_of = null, updated_at = now()
       from authorizations a where a.id = ? and l.id = a.sole_line_id`,
      [authorizationId],
    );
  },

  /** `marked`: the authorization is known to be `capped` already (else it is marked first: the caps' foreign key requires it). */
  async insertCaps(sql: Sql, authorizationId: string, caps: CapRow[], marked = false): Promise<void> {
    if (caps.length === 0) return;
    if (!marked) await sql.query('update authorizations set capped = true where id = ? and not capped', [authorizationId]);
    await sql.query(
      `insert into authorization_caps (id, authorization_id, line_id, period, units)
       select v.id, ?, v.line_id, v.period, v.units from unnest(?::uuid[], ?::uuid[], ?::text[], ?::int[]) as v (id, line_id, period, units)`,
      [authorizationId, caps.map((c) => c.id), caps.map((c) => c.lineId), caps.map((c) => c.period), caps.map((c) => c.units)],
    );
  },

  /** The authorization if it is in the caller's organization (any, for a SUPER_ADMIN). */
  async findVisible(sql: Sql, caller: AuthUser, id: string): Promise<AuthorizationRow | undefined> {
    const scope = tenantScope(caller, 'a.organization_id');
    const [row] = await sql.query<AuthorizationRow>(`select ${AUTHORIZATION_COLUMNS} from ${FROM_AUTHORIZATIONS} where a.id = ?${scope.sql}`, [id, ...scope.params]);
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
    if (f.serviceCode !== undefined) {
      where.push('exists (select 1 from authorization_lines l where l.organization_id = a.organization_id and l.service_code = ? and l.authorization_id = a.id)');
      params.push(f.serviceCode);
    }
    if (f.status !== undefined) (where.push(`${EFFECTIVE_STATUS_SQL} = ?`), params.push(f.now, f.status));
    if (f.after !== undefined) (where.push('a.id > ?'), params.push(f.after));
    return sql.query<AuthorizationRow>(
      `select ${AUTHORIZATION_COLUMNS} from ${FROM_AUTHORIZATIONS} where ${where.join(' and ')} order by a.id limit ?`,
      [...params, f.limit + 1],
    );
  },

  /** A line's new total, after the authorization's totals were set to match (authorization_lines_sum). */
  async setLineTotal(sql: Sql, lineId: string, totalUnits: number): Promise<void> {
    await sql.query('update authorization_lines set total_units = ?, updated_at = now() where id = ?', [totalUnits, lineId]);
  },

  /** The most a bucket of the cap holds (0 when none holds anything), and where. */
  async mostHeld(sql: Sql, capId: string): Promise<{ heldUnits: number; periodStart: string } | undefined> {
    const [row] = await sql.query<{ heldUnits: number; periodStart: string }>(
      `select used_units + scheduled_units as "heldUnits", period_start as "periodStart" from cap_buckets where cap_id = ? order by 1 desc, 2 limit 1`,
      [capId],
    );
    return row;
  },

  async setCapUnits(sql: Sql, capId: string, units: number): Promise<void> {
    await sql.query('update authorization_caps set units = ? where id = ?', [units, capId]);
  },

  async deleteCaps(sql: Sql, capIds: string[]): Promise<void> {
    if (capIds.length) await sql.query('delete from authorization_caps where id = any(?::uuid[])', [capIds]);
  },

  /**
   * What each new cap's buckets hold already (SCHEDULED units and CONSUMED ones of the lines it
   * counts, by the period of their service date), computed from the reservations.
   */
  heldByPeriod(sql: Sql, capIds: string[], weekStartsOn: WeekStart): Promise<(BucketRow & { authorizationId: string })[]> {
    return sql.query(
      `select c.id as "capId", p.start as "periodStart", c.authorization_id as "authorizationId", c.period, c.units as "capUnits",
         (case c.period when 'DAY' then p.start when 'WEEK' then p.start + 6 else (p.start + interval '1 month - 1 day')::date end) as "periodEnd",
         sum(case when r.status = 'CONSUMED' then r.consumed_units else 0 end)::int as "usedUnits",
         sum(case when r.status = 'SCHEDULED' then r.units else 0 end)::int as "scheduledUnits"
       from authorization_caps c
       join reservations r on r.authorization_id = c.authorization_id and (c.line_id is null or r.line_id = c.line_id)
         and r.status in ('SCHEDULED', 'CONSUMED')
       cross join lateral (select unit_period_start(c.period, r.service_date, ?) as start) p
       where c.id = any(?::uuid[])
       group by c.id, p.start
       order by c.id, p.start`,
      [weekStartsOn, capIds],
    );
  },

  async insertBuckets(sql: Sql, buckets: (BucketRow & { authorizationId: string })[]): Promise<void> {
    if (buckets.length === 0) return;
    await sql.query(
      `insert into cap_buckets (cap_id, period_start, authorization_id, period, period_end, cap_units, used_units, scheduled_units)
       select * from unnest(?::uuid[], ?::date[], ?::uuid[], ?::text[], ?::date[], ?::int[], ?::int[], ?::int[])`,
      [
        buckets.map((b) => b.capId), buckets.map((b) => b.periodStart), buckets.map((b) => b.authorizationId), buckets.map((b) => b.period),
        buckets.map((b) => b.periodEnd), buckets.map((b) => b.capUnits), buckets.map((b) => b.usedUnits), buckets.map((b) => b.scheduledUnits),
      ],
    );
  },

  /**
   * Scheduling by patient (SPEC §10), read before the transaction: the day (the one asked, else the
   * organization's today at `now`) and the authorizations that may take it — the patient's in the
   * organization, ACTIVE, covering the day, with a line of the code — ending first, then oldest.
   * The unit of work checks each again on what it reads.
   */
  async candidatesForPatient(sql: Sql, q: { organizationId: string; patientId: string; serviceCode: string; serviceDate?: string; now: string }): Promise<{ serviceDate: string; candidateIds: string[] }> {
    const rows = await sql.query<{ id: string | null; serviceDate: string }>(
      `select a.id, d.day::text as "serviceDate" from organizations o
       cross join lateral (select coalesce(?::date, (?::timestamptz at time zone o.time_zone)::date) as day) d
       left join authorizations a on a.organization_id = o.id and a.patient_id = ? and a.status = 'ACTIVE' and d.day between a.start_date and a.end_date
         and exists (select 1 from authorization_lines l where l.organization_id = o.id and l.service_code = ? and l.authorization_id = a.id)
       where o.id = ?
       order by a.end_date, a.created_at, a.id`,
      [q.serviceDate ?? null, q.now, q.patientId, q.serviceCode, q.organizationId],
      { prepare: true },
    );
    return { serviceDate: rows[0]?.serviceDate ?? q.serviceDate ?? q.now.slice(0, 10), candidateIds: rows.flatMap((r) => (r.id ? [r.id] : [])) };
  },

  /**
   * SPEC §11 deadlines: up to `limit` ACTIVE authorizations with an expiring or expired event due
   * and not yet written, as of each organization's today at `now` (expiring: from
   * expiringWithinDays before endDate through endDate; expired: after endDate), ending first.
   */
  deadlinesDue(sql: Sql, now: string, limit: number): Promise<{ id: string }[]> {
    return sql.query<{ id: string }>(
      `select a.id from ${FROM_AUTHORIZATIONS}
       cross join lateral (select ${ORGANIZATION_TODAY_SQL} as today) d
       where a.status = 'ACTIVE' and not a.expired_announced and a.end_date <= ?::date + 366
         and (d.today > a.end_date or (not a.expiring_announced and d.today >= a.end_date - o.expiring_within_days))
       order by a.end_date, a.id limit ?`,
      [now, now, limit],
    );
  },

  /** The same authorizations, read again inside the transaction that announces them, with what is already announced. */
  async deadlinesOf(sql: Sql, ids: string[], now: string): Promise<(AuthorizationRow & { today: string; expiringWithinDays: number; expiringAnnounced: boolean; expiredAnnounced: boolean })[]> {
    return sql.query(
      `select ${AUTHORIZATION_COLUMNS}, ${ORGANIZATION_TODAY_SQL}::text as today, o.expiring_within_days as "expiringWithinDays",
         a.expiring_announced as "expiringAnnounced", a.expired_announced as "expiredAnnounced"
       from ${FROM_AUTHORIZATIONS} where a.id = any(?::uuid[]) and a.status = 'ACTIVE' order by a.end_date, a.id`,
      [now, ids],
    );
  },

  /** Records which deadline events were written (never unsets one). */
  async markAnnounced(sql: Sql, marks: { id: string; expiring: boolean; expired: boolean }[]): Promise<void> {
    if (marks.length === 0) return;
    await sql.query(
      `update authorizations a set expiring_announced = a.expiring_announced or v.expiring, expired_announced = a.expired_announced or v.expired
       from unnest(?::uuid[], ?::boolean[], ?::boolean[]) as v (id, expiring, expired) where a.id = v.id`,
      [marks.map((m) => m.id), marks.map((m) => m.expiring), marks.map((m) => m.expired)],
    );
  },

  /** Sets the given columns (snake_case names from planUpdate) and updated_at. */
  async update(sql: Sql, id: string, columns: Record<string, unknown>): Promise<AuthorizationRow> {
    const names = Object.keys(columns);
    const [row] = await sql.query<AuthorizationRow>(
      `update authorizations as a set ${names.map((n) => `${n} = ?`).join(', ')}, updated_at = now()
       from organizations o where o.id = a.organization_id and a.id = ? returning ${AUTHORIZATION_COLUMNS}`,
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
    const rows = await sql.query<AuthorizationRow>(`select ${AUTHORIZATION_COLUMNS} from ${FROM_AUTHORIZATIONS} where a.id = any(?::uuid[])${scope.sql}`, [ids, ...scope.params], { prepare: true });
    return new Map(rows.map((row) => [row.id, row]));
  },

  /**
   * The buckets of the given caps and period starts that exist (a bucket is created by the first
   * write that holds units in it). Prepared: the hot path of capped authorizations.
   */
  findBuckets(sql: Sql, keys: { capId: string; periodStart: string }[]): Promise<BucketRow[]> {
    return sql.query<BucketRow>(
      `select b.cap_id as "capId", b.period_start as "periodStart", b.period_end as "periodEnd", b.period, b.cap_units as "capUnits",
         b.used_units as "usedUnits", b.scheduled_units as "scheduledUnits"
       from cap_buckets b join unnest(?::uuid[], ?::date[]) as k (cap_id, period_start) on b.cap_id = k.cap_id and b.period_start = k.period_start`,
      [keys.map((k) => k.capId), keys.map((k) => k.periodStart)],
      { prepare: true },
    );
  },

  /** The batch write's part for the lines: each line's used/scheduled units change by its deltas. */
  linesPart(changes: { lineId: string; used: number; scheduled: number }[], now: string): SqlFragment {
    const ids = changes.map((c) => c.lineId);
    return {
      sql: `lines as (update authorization_lines as l set used_units = used_units + v.used, scheduled_units = scheduled_units + v.scheduled, updated_at = ?
          from unnest(?::uuid[], ?::int[], ?::int[]) as v (id, used, scheduled)
          where l.id = any(?::uuid[]) and l.id = v.id)`,
      params: [now, ids, changes.map((c) => c.used), changes.map((c) => c.scheduled), ids],
    };
  },

  /** The batch write's part for existing cap buckets: used/scheduled units change by their deltas. */
  bucketsPart(changes: BucketChange[]): SqlFragment {
    return {
      sql: `buckets as (update cap_buckets as b set used_units = used_units + v.used, scheduled_units = scheduled_units + v.scheduled
          from unnest(?::uuid[], ?::date[], ?::int[], ?::int[]) as v (cap_id, period_start, used, scheduled)
          where b.cap_id = v.cap_id and b.period_start = v.period_start)`,
      params: [changes.map((c) => c.bucket.capId), changes.map((c) => c.bucket.periodStart), changes.map((c) => c.used), changes.map((c) => c.scheduled)],
    };
  },

  /**
   * The batch write's part for buckets this batch holds the first units in. Created with what the
   * batch holds there (never negative: nothing was held before); one created meanwhile by another
   * transaction is added to instead — SERIALIZABLE then fails one of the two anyway, as both read it.
   */
  newBucketsPart(changes: BucketChange[]): SqlFragment {
    return {
      sql: `new_buckets as (insert into cap_buckets as b (cap_id, period_start, authorization_id, period, period_end, cap_units, used_units, scheduled_units)
          select * from unnest(?::uuid[], ?::date[], ?::uuid[], ?::text[], ?::date[], ?::int[], ?::int[], ?::int[])
          on conflict (cap_id, period_start) do update set used_units = b.used_units + excluded.used_units, scheduled_units = b.scheduled_units + excluded.scheduled_units)`,
      params: [
        changes.map((c) => c.bucket.capId), changes.map((c) => c.bucket.periodStart), changes.map((c) => c.authorizationId), changes.map((c) => c.bucket.period),
        changes.map((c) => c.bucket.periodEnd), changes.map((c) => c.bucket.capUnits), changes.map((c) => c.used), changes.map((c) => c.scheduled),
      ],
    };
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
   * returns how many rows the parts named in `counted` (those returning ids: finished, moved) changed.
   */
  async writeBatch(tx: Sql, parts: SqlFragment[], counted: string[], last: boolean): Promise<number> {
    const count = counted.length ? counted.map((name) => `(select count(*) from ${name})::int`).join(' + ') : '0';
    const [result] = await tx.query<{ finished: number }>(`with ${parts.map((p) => p.sql).join(',\n')} select ${count} as finished`, parts.flatMap((p) => p.params), { prepare: true, last });
    return result.finished;
  },
};
