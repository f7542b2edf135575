import { Sql } from '../database/database.service';
import { AuthUser } from '../shared/auth/auth-user';
import { tenantScope } from '../shared/auth/tenant-scope';
import type { UtilizationFlag, UtilizationResponse } from './utilization.dto';

// Every SQL string of the utilization reports (SPEC §10 "Utilization"; design §7). One statement
// per answer: the page of authorizations (keyset on id, the filters, the authorization's figures
// and flags, so `?flag=` filters in SQL), then for the rows of that page only, the pool, the lines
// (their burn rates from one pass over the authorization's ledger) and the caps' buckets (primary
// key lookups in cap_buckets), built as the response's JSON. Nothing is loaded into memory but the
// answer itself. "Today" is each organization's local date at the instant passed as a parameter
// (one clock for the whole statement; never now()).

/**
 * The figures of SPEC §10 from SQL expressions (`total`, `used`, `scheduled`, `available`, the
 * units CONSUMED with a serviceDate in today−27..today, the period and today), as a subquery for a
 * lateral join with the columns total_units, used_units, scheduled_units, available_units,
 * percent_used, percent_elapsed, burn_rate_per_week, projected_exhaustion_date and flags (text[]).
 * - percentUsed: used ÷ total × 100, one decimal (total ≥ 1 by the CHECKs, used ≤ total);
 * - percentElapsed: days start..today ÷ days start..end (both counted), within 0–100, one decimal;
 * - burnRatePerWeek: consumed ÷ 4 (exact with two decimals);
 * - projectedExhaustionDate: today + ceil((total − used) ÷ burn rate × 7) days = today +
 *   ceil((total − used) × 28 ÷ consumed), in integers, at most 9999-12-31; null when nothing was consumed;
 * - AT_RISK: projected before endDate; UNDER_UTILIZED: percentUsed (as shown) more than 20 points
 *   below percentElapsed (as shown).
 */
function figures(e: { total: string; used: string; scheduled: string; available: string; consumed: string; start: string; end: string; today: string }): string {
  return `(select x.*,
      array_remove(array[
        case when x.projected_exhaustion_date < ${e.end} then 'AT_RISK' end,
        case when x.percent_elapsed - x.percent_used > 20 then 'UNDER_UTILIZED' end], null) as flags
    from (select ${e.total} as total_units, ${e.used} as used_units, ${e.scheduled} as scheduled_units, ${e.available} as available_units,
        round(${e.used} * 100.0 / ${e.total}, 1) as percent_used,
        round(least(100, greatest(0, ((${e.today}) - ${e.start} + 1) * 100.0 / (${e.end} - ${e.start} + 1))), 1) as percent_elapsed,
        round(${e.consumed} / 4.0, 2) as burn_rate_per_week,
        -- capped to the last date the API writes (YYYY-MM-DD): a slow burn on a large total lands past 9999
        case when ${e.consumed} > 0 then least(date '9999-12-31', (${e.today}) + ((${e.total} - ${e.used}) * 28 + ${e.consumed} - 1) / ${e.consumed}) end as projected_exhaustion_date
      ) x)`;
}

/** The figures of a lateral `alias` (see figures()) as the members of a JSON object. */
const figureMembers = (alias: string) => `'totalUnits', ${alias}.total_units, 'usedUnits', ${alias}.used_units, 'scheduledUnits', ${alias}.scheduled_units,
  'availableUnits', ${alias}.available_units, 'percentUsed', ${alias}.percent_used, 'percentElapsed', ${alias}.percent_elapsed,
  'burnRatePerWeek', ${alias}.burn_rate_per_week, 'projectedExhaustionDate', ${alias}.projected_exhaustion_date`;

/**
 * The caps of page row `p` counted on `lineCondition` (the authorization's own: `c.line_id is
 * null`), in creation order, each with its bucket containing today and the next three; a period
 * without a cap_buckets row holds nothing.
 */
const capsJson = (lineCondition: string) => `(select coalesce(json_agg(json_build_object('period', c.period, 'units', c.units, 'buckets', k.buckets) order by c.id), '[]'::json)
  from authorization_caps c
  cross join lateral (
    select json_agg(json_build_object('periodStart', g.period_start, 'periodEnd', g.period_end, 'capUnits', c.units,
        'heldUnits', coalesce(b.used_units + b.scheduled_units, 0), 'availableUnits', c.units - coalesce(b.used_units + b.scheduled_units, 0)) order by g.n) as buckets
    from (select s.n, s.period_start,
            case c.period when 'DAY' then s.period_start when 'WEEK' then s.period_start + 6 else (s.period_start + interval '1 month - 1 day')::date end as period_end
          from (select n, case c.period
                  when 'DAY' then p.today + n
                  when 'WEEK' then unit_period_start('WEEK', p.today, p.week_starts_on) + 7 * n
                  else (date_trunc('month', p.today::timestamp) + make_interval(months => n))::date end as period_start
                from generate_series(0, 3) as n) s) g
    left join cap_buckets b on b.cap_id = c.id and b.period_start = g.period_start) k
  where c.authorization_id = p.id and ${lineCondition})`;

/** The filters of a list (`organizationId` only for a SUPER_ADMIN: see superAdminFilter). */
export interface UtilizationFilters {
  organizationId?: string;
  patientId?: string;
  flag?: UtilizationFlag;
  /** endDate from the organization's today through today + this many days. */
  endingWithinDays?: number;
  /** Keyset pagination: ids after this one. */
  after?: string;
  limit: number;
}

/** What `select` needs: which authorizations, as of which instant. */
interface Selection {
  /** ISO-8601 instant: "today" is its local date in each organization's time zone. */
  now: string;
  where: string[];
  params: unknown[];
  limit: number;
}

/** One statement: the page (figures and flags computed, then filtered), then the JSON of each of its rows, in id order. */
async function select(sql: Sql, s: Selection): Promise<UtilizationResponse[]> {
  const rows = await sql.query<{ utilization: UtilizationResponse }>(
    `with page as materialized (
       select a.id, a.start_date, a.end_date, a.pool_units, a.used_units, a.scheduled_units, t.today, o.week_starts_on, consumed.units as consumed_units,
         f.total_units, f.available_units, f.percent_used, f.percent_elapsed, f.burn_rate_per_week, f.projected_exhaustion_date, f.flags
       from authorizations a
       join organizations o on o.id = a.organization_id
       cross join lateral (select (?::timestamptz at time zone o.time_zone)::date as today) t
       cross join lateral (select coalesce(sum(e.units), 0)::int as units from ledger_entries e
                           where e.authorization_id = a.id and e.type = 'CONSUME' and e.service_date between t.today - 27 and t.today) consumed
       cross join lateral ${figures({
         total: 'a.total_units', used: 'a.used_units', scheduled: 'a.scheduled_units', available: 'least(a.total_units, a.lines_total_units) - a.used_units - a.scheduled_units',
         consumed: 'consumed.units', start: 'a.start_date', end: 'a.end_date', today: 't.today',
       })} f
       where ${s.where.join(' and ')}
       order by a.id
       limit ?)
     select json_build_object(
         'authorizationId', p.id, 'asOf', p.today,
         'totalUnits', p.total_units, 'usedUnits', p.used_units, 'scheduledUnits', p.scheduled_units, 'availableUnits', p.available_units,
         'percentUsed', p.percent_used, 'percentElapsed', p.percent_elapsed, 'burnRatePerWeek', p.burn_rate_per_week,
         'projectedExhaustionDate', p.projected_exhaustion_date, 'flags', to_json(p.flags),
         'pool', case when p.pool_units is not null then (
           select json_build_object(${figureMembers('pf')}, 'flags', to_json(pf.flags))
           from ${figures({
             total: 'p.pool_units', used: 'p.used_units', scheduled: 'p.scheduled_units', available: 'p.pool_units - p.used_units - p.scheduled_units',
             consumed: 'p.consumed_units', start: 'p.start_date', end: 'p.end_date', today: 'p.today',
           })} pf) end,
         'lines', (
           select coalesce(json_agg(json_build_object('lineId', l.id, 'serviceCode', l.service_code, 'modifiers', to_json(string_to_array(l.modifiers, ',')),
               ${figureMembers('lf')}, 'flags', to_json(lf.flags), 'caps', ${capsJson('c.line_id = l.id')}) order by l.id), '[]'::json)
           from authorization_lines l
           left join (select e.line_id, sum(e.units)::int as units from ledger_entries e
                      where e.authorization_id = p.id and e.type = 'CONSUME' and e.service_date between p.today - 27 and p.today
                      group by e.line_id) by_line on by_line.line_id = l.id
           -- a sole line's units are counted on its authorization (migration 20261206000000)
           cross join lateral (select coalesce(l.used_units, p.used_units) as used_units, coalesce(l.scheduled_units, p.scheduled_units) as scheduled_units) lc
           cross join lateral ${figures({
             total: 'l.total_units', used: 'lc.used_units', scheduled: 'lc.scheduled_units', available: 'l.total_units - lc.used_units - lc.scheduled_units',
             consumed: 'coalesce(by_line.units, 0)', start: 'p.start_date', end: 'p.end_date', today: 'p.today',
           })} lf
           where l.authorization_id = p.id),
         'caps', ${capsJson('c.line_id is null')}) as utilization
     from page p
     order by p.id`,
    [s.now, ...s.params, s.limit],
  );
  return rows.map((r) => r.utilization);
}

export const utilizationRepository = {
  /** The utilization of one authorization if the caller may see it (its own organization's; any, for a SUPER_ADMIN). */
  async findVisible(sql: Sql, caller: AuthUser, id: string, now: string): Promise<UtilizationResponse | undefined> {
    const scope = tenantScope(caller, 'a.organization_id');
    const [row] = await select(sql, { now, where: [`a.id = ?${scope.sql}`], params: [id, ...scope.params], limit: 1 });
    return row;
  },

  /** One page (limit + 1 rows, see toPage) in id order, within the caller's organization. */
  list(sql: Sql, caller: AuthUser, now: string, f: UtilizationFilters): Promise<UtilizationResponse[]> {
    const scope = tenantScope(caller, 'a.organization_id');
    const where: string[] = [`true${scope.sql}`];
    const params: unknown[] = [...scope.params];
    if (f.organizationId !== undefined) (where.push('a.organization_id = ?'), params.push(f.organizationId));
    if (f.patientId !== undefined) (where.push('a.patient_id = ?'), params.push(f.patientId));
    if (f.endingWithinDays !== undefined) (where.push('a.end_date between t.today and t.today + ?::int'), params.push(f.endingWithinDays));
    if (f.flag !== undefined) (where.push('?::text = any(f.flags)'), params.push(f.flag));
    if (f.after !== undefined) (where.push('a.id > ?'), params.push(f.after));
    return select(sql, { now, where, params, limit: f.limit + 1 });
  },
};
