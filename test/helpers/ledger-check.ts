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
}

/** What checkIntegrity reports for a consistent database. */
export const INTACT: IntegrityReport = { invariantViolations: 0, ledgerMismatches: 0, expiryMismatches: 0 };

/** SPEC §3 reconciliation, for every authorization, straight from the tables. */
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
        coalesce(sum(l.units) filter (where l.type = 'ADJUST'), 0) as adjusted,
        (select l2.total_after - l2.units from ledger_entries l2 where l2.authorization_id = a.id and l2.type = 'ADJUST' order by l2.id limit 1) as initial_from_ledger
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
  return { invariantViolations: invariant.rows[0].n, ledgerMismatches: mismatches.rows[0].n, expiryMismatches: expiries.rows[0].n };
}
