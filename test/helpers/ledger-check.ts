import { Client } from 'pg';

export interface IntegrityReport {
  /** Authorizations whose counters break the invariant. */
  invariantViolations: number;
  /** Authorizations whose counters do not equal the sums of their ledger. */
  ledgerMismatches: number;
  /**
   * Reservations pending expiry and rows of reservation_expiries that do not match one to one
   * (a SCHEDULED reservation with an expiresAt has exactly one row, with the same instant).
   */
  expiryMismatches: number;
  /**
   * Authorizations whose counters disagree with their reservations: scheduledUnits ≠ Σ units of
   * SCHEDULED reservations, or usedUnits ≠ Σ consumedUnits of CONSUMED ones.
   */
  reservationMismatches: number;
  /**
   * Ledger entries whose totalAfter / usedAfter / scheduledAfter differ from the running sums of
   * the authorization's ledger replayed in id order (from its initial total), or record an
   * overbooked state.
   */
  runningMismatches: number;
  /**
   * Reservations whose ledger entries are not the ones their state implies, in order: SCHEDULED
   * → RESERVE u; RELEASED → RESERVE u, RELEASE u; EXPIRED → RESERVE u, EXPIRE u; CONSUMED c →
   * RESERVE u, CONSUME c (when c > 0), RELEASE u − c (when > 0) — after one RESERVE and one
   * RELEASE of the same units per move (`revision`), the last RESERVE naming the reservation's line
   * and date. Also an entry on another authorization than its reservation's.
   */
  reservationLedgerMismatches: number;
  /** Lines breaking their own limit (0 unless a CHECK was dropped). */
  lineInvariantViolations: number;
  /** Cap buckets holding more than their cap, or with a cap_units other than their cap's. */
  bucketInvariantViolations: number;
  /** Authorizations whose counters or lines_total_units are not the sums over their lines, or with a pool broken. */
  rollUpMismatches: number;
  /** Lines whose counters differ from their reservations, or from the sums of the ledger entries naming them. */
  lineLedgerMismatches: number;
  /**
   * Cap buckets whose counters differ from the reservations they count (SCHEDULED units and
   * consumed units of the cap's lines, by the period of their service date under the
   * organization's week start), including periods holding units with no bucket at all.
   */
  bucketMismatches: number;
}

/** What checkIntegrity reports for a consistent database. */
export const INTACT: IntegrityReport = {
  invariantViolations: 0,
  ledgerMismatches: 0,
  expiryMismatches: 0,
  reservationMismatches: 0,
  runningMismatches: 0,
  reservationLedgerMismatches: 0,
  lineInvariantViolations: 0,
  bucketInvariantViolations: 0,
  rollUpMismatches: 0,
  lineLedgerMismatches: 0,
  bucketMismatches: 0,
};

/**
 * SPEC §3 reconciliation, for every authorization, straight from the tables: the counters against
 * the ledger's sums, the reservations table and the ledger's running `*After` values (as
 * resilience/lib/checker.mjs does after a fault run).
 */
export async function checkIntegrity(sql: Client): Promise<IntegrityReport> {
  const invariant = await sql.query(
    `select count(*)::int as n from authorizations
     where used_units + scheduled_units > total_units or used_units < 0 or scheduled_units < 0`,
  );
  const mismatches = await sql.query(`
    with sums as (
      select a.id, a.total_units, a.used_units, a.scheduled_units,
        coalesce(sum(l.units) filter (where l.type = 'RESERVE'), 0)
          - coalesce(sum(l.units) filter (where l.type in ('RELEASE', 'EXPIRE', 'CONSUME')), 0) as scheduled,
        coalesce(sum(l.units) filter (where l.type = 'CONSUME'), 0) as used,
        coalesce(sum(l.units) filter (where l.type = 'ADJUST' and (a.pool_units is null or l.line_id is null)), 0) as adjusted,
        (select l2.total_after - l2.units from ledger_entries l2 where l2.authorization_id = a.id and l2.type = 'ADJUST'
           and (a.pool_units is null or l2.line_id is null) order by l2.id limit 1) as initial_from_ledger
      from authorizations a left join ledger_entries l on l.authorization_id = a.id
      group by a.id)
    select count(*)::int as n from sums
    where scheduled <> scheduled_units or used <> used_units
       or (initial_from_ledger is not null and initial_from_ledger + adjusted <> total_units)`);
  const expiries = await sql.query(`
    select count(*)::int as n
    from (select id, expires_at from reservations where status = 'SCHEDULED' and expires_at is not null) r
    full join reservation_expiries e on e.reservation_id = r.id
    where r.id is null or e.reservation_id is null or e.expires_at <> r.expires_at`);
  const reservations = await sql.query(`
    select count(*)::int as n
    from authorizations a
    left join (select authorization_id,
                      sum(units) filter (where status = 'SCHEDULED') as scheduled,
                      sum(consumed_units) filter (where status = 'CONSUMED') as consumed,
                      sum(consumed_units) filter (where status <> 'CONSUMED') as stray_consumed
               from reservations group by authorization_id) r on r.authorization_id = a.id
    where coalesce(r.scheduled, 0) <> a.scheduled_units or coalesce(r.consumed, 0) <> a.used_units or coalesce(r.stray_consumed, 0) <> 0`);
  const running = await sql.query(`
    with initial as (
      select a.id, a.pool_units is not null as pooled,
        a.total_units - coalesce((select sum(l.units) from ledger_entries l where l.authorization_id = a.id and l.type = 'ADJUST'
                                  and (a.pool_units is null or l.line_id is null)), 0) as total0
      from authorizations a),
    replay as (
      select l.id, l.authorization_id, l.total_after, l.used_after, l.scheduled_after,
        i.total0 + sum(case when l.type = 'ADJUST' and (not i.pooled or l.line_id is null) then l.units else 0 end) over w as total,
        sum(case when l.type = 'CONSUME' then l.units else 0 end) over w as used,
        sum(case l.type when 'RESERVE' then l.units when 'ADJUST' then 0 else -l.units end) over w as scheduled
      from ledger_entries l join initial i on i.id = l.authorization_id
      window w as (partition by l.authorization_id order by l.id rows between unbounded preceding and current row))
    select count(*)::int as n from replay
    where total_after <> total or used_after <> used or scheduled_after <> scheduled
       or used_after + scheduled_after > total_after or used_after < 0 or scheduled_after < 0`);
  const shapes = await sql.query(`
    with expected as (
      select r.id, r.authorization_id, 1 as k, 'RESERVE' as type, r.units from reservations r
      union all
      select r.id, r.authorization_id, 2, 'RELEASE', r.units from reservations r where r.status = 'RELEASED'
      union all
      select r.id, r.authorization_id, 2, 'EXPIRE', r.units from reservations r where r.status = 'EXPIRED'
      union all
      select r.id, r.authorization_id, 2, 'CONSUME', r.consumed_units from reservations r where r.status = 'CONSUMED' and r.consumed_units > 0
      union all
      select r.id, r.authorization_id, 3, 'RELEASE', r.units - r.consumed_units from reservations r where r.status = 'CONSUMED' and r.units > r.consumed_units),
    wanted as (
      select id, string_agg(authorization_id || ' ' || type || ' ' || units, ',' order by k) as shape from expected group by id),
    numbered as (
      select e.*, row_number() over (partition by e.reservation_id order by e.id) as n, coalesce(r.revision, 0) as revision
      from ledger_entries e left join reservations r on r.id = e.reservation_id where e.reservation_id is not null),
    got as (
      -- Each move (revision) left a RESERVE and a RELEASE before the hold the reservation has now (checked in moves below).
      select reservation_id as id, string_agg(authorization_id || ' ' || type || ' ' || units, ',' order by numbered.id) as shape
      from numbered where n > 2 * revision group by reservation_id),
    moves as (
      select count(*)::int as n from (
        select e.*, lag(e.units) over (partition by e.reservation_id order by e.id) as previous from numbered e) m
      join reservations r on r.id = m.reservation_id
      where (m.n <= 2 * m.revision and m.n % 2 = 1 and m.type <> 'RESERVE')
         or (m.n <= 2 * m.revision and m.n % 2 = 0 and (m.type <> 'RELEASE' or m.units <> m.previous))
         or (m.n = 2 * m.revision + 1 and (m.type <> 'RESERVE' or m.line_id is distinct from r.line_id or m.service_date is distinct from r.service_date)))
    select count(*)::int + (select n from moves) as n from wanted full join got on got.id = wanted.id
    where wanted.shape is distinct from got.shape`);
  const count = async (query: string) => (await sql.query(query)).rows[0].n as number;
  // Each line with its counters: a sole line's are its authorization's (migration 20261206000000).
  const lines = `(select li.id, li.authorization_id, li.total_units, coalesce(li.used_units, a.used_units) as used_units,
      coalesce(li.scheduled_units, a.scheduled_units) as scheduled_units
    from authorization_lines li join authorizations a on a.id = li.authorization_id)`;
  const lineInvariantViolations = await count(
    `select count(*)::int as n from ${lines} l where used_units + scheduled_units > total_units or used_units < 0 or scheduled_units < 0`,
  );
  const bucketInvariantViolations = await count(`
    select count(*)::int as n from cap_buckets b left join authorization_caps c on c.id = b.cap_id
    where b.used_units + b.scheduled_units > b.cap_units or b.used_units < 0 or b.scheduled_units < 0
       or c.id is null or c.units <> b.cap_units or c.period <> b.period or c.authorization_id <> b.authorization_id`);
  const rollUpMismatches = await count(`
    select count(*)::int as n from authorizations a
    left join (select authorization_id, sum(used_units) as used, sum(scheduled_units) as scheduled, sum(total_units) as total
               from ${lines} li group by authorization_id) l on l.authorization_id = a.id
    where l.authorization_id is null or l.used <> a.used_units or l.scheduled <> a.scheduled_units or l.total <> a.lines_total_units
       or coalesce(a.pool_units, a.lines_total_units) <> a.total_units`);
  const lineLedgerMismatches = await count(`
    select count(*)::int as n from ${lines} li
    left join (select line_id, sum(units) filter (where status = 'SCHEDULED') as scheduled, sum(consumed_units) filter (where status = 'CONSUMED') as used
               from reservations group by line_id) r on r.line_id = li.id
    left join (select line_id,
                 coalesce(sum(units) filter (where type = 'RESERVE'), 0) - coalesce(sum(units) filter (where type in ('RELEASE', 'EXPIRE', 'CONSUME')), 0) as scheduled,
                 coalesce(sum(units) filter (where type = 'CONSUME'), 0) as used
               from ledger_entries where line_id is not null group by line_id) l on l.line_id = li.id
    where coalesce(r.scheduled, 0) <> li.scheduled_units or coalesce(r.used, 0) <> li.used_units
       or coalesce(l.scheduled, 0) <> li.scheduled_units or coalesce(l.used, 0) <> li.used_units`);
  const bucketMismatches = await count(`
    with held as (
      select c.id as cap_id, unit_period_start(c.period, r.service_date, o.week_starts_on) as period_start,
        sum(case when r.status = 'SCHEDULED' then r.units else 0 end) as scheduled,
        sum(case when r.status = 'CONSUMED' then r.consumed_units else 0 end) as used
      from authorization_caps c
      join authorizations a on a.id = c.authorization_id
      join organizations o on o.id = a.organization_id
      join reservations r on r.authorization_id = c.authorization_id and (c.line_id is null or r.line_id = c.line_id)
      where r.status in ('SCHEDULED', 'CONSUMED')
      group by 1, 2)
    select count(*)::int as n from cap_buckets b full join held h on h.cap_id = b.cap_id and h.period_start = b.period_start
    where coalesce(h.scheduled, 0) <> coalesce(b.scheduled_units, 0) or coalesce(h.used, 0) <> coalesce(b.used_units, 0)`);
  return {
    invariantViolations: invariant.rows[0].n,
    ledgerMismatches: mismatches.rows[0].n,
    expiryMismatches: expiries.rows[0].n,
    reservationMismatches: reservations.rows[0].n,
    runningMismatches: running.rows[0].n,
    reservationLedgerMismatches: shapes.rows[0].n,
    lineInvariantViolations,
    bucketInvariantViolations,
    rollUpMismatches,
    lineLedgerMismatches,
    bucketMismatches,
  };
}

/**
 * Each refusal of a race is justified: 409 INSUFFICIENT_UNITS for `requestedUnits` with fewer
 * available, naming an availability the authorization really had — the one left after some entry
 * of its ledger from `sinceEntryId` on.
 */
export async function expectJustifiedRefusals(sql: Client, authorizationId: string, sinceEntryId: unknown, refused: { body: any }[], requestedUnits: number): Promise<void> {
  const { rows: history } = await sql.query(
    'select (total_after - used_after - scheduled_after)::int as available from ledger_entries where authorization_id = $1 and id >= $2 order by id',
    [authorizationId, sinceEntryId],
  );
  const availabilities = new Set(history.map((h) => h.available as number));
  for (const r of refused) {
    expect(r.body).toEqual(expect.objectContaining({ statusCode: 409, code: 'INSUFFICIENT_UNITS', requestedUnits, availableUnits: expect.any(Number) }));
    expect(r.body.availableUnits).toBeLessThan(requestedUnits);
    expect(availabilities).toContain(r.body.availableUnits);
  }
}
