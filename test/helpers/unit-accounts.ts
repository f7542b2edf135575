import { Client } from 'pg';

export interface UnitAccounts {
  counters: { total: number; used: number; scheduled: number };
  /** The reservations table: units held by SCHEDULED reservations, units consumed by CONSUMED ones. */
  reservations: { scheduled: number; used: number; count: number };
  /** Ledger sums (SPEC §3 reconciliation). */
  ledger: { scheduled: number; used: number; byType: Record<string, number> };
  /** Entries whose totalAfter/usedAfter/scheduledAfter differ from the running sums, replayed in id order. */
  runningMismatches: number;
}

/**
 * One authorization's three accounts straight from the tables: its counters, its reservations and
 * its ledger (sums and the running `*After` values), to be compared with each other and with what
 * the clients were told.
 */
export async function unitAccounts(sql: Client, authorizationId: string): Promise<UnitAccounts> {
  const [a] = (await sql.query('select total_units, used_units, scheduled_units from authorizations where id = $1', [authorizationId])).rows;
  const [r] = (
    await sql.query(
      `select coalesce(sum(units) filter (where status = 'SCHEDULED'), 0)::int as scheduled,
              coalesce(sum(consumed_units) filter (where status = 'CONSUMED'), 0)::int as used, count(*)::int as count
       from reservations where authorization_id = $1`,
      [authorizationId],
    )
  ).rows;
  const entries = (
    await sql.query('select type, units, total_after, used_after, scheduled_after from ledger_entries where authorization_id = $1 order by id', [authorizationId])
  ).rows as { type: string; units: number; total_after: number; used_after: number; scheduled_after: number }[];
  const byType: Record<string, number> = {};
  let total = a.total_units - entries.filter((e) => e.type === 'ADJUST').reduce((s, e) => s + e.units, 0);
  let used = 0;
  let scheduled = 0;
  let runningMismatches = 0;
  for (const e of entries) {
    byType[e.type] = (byType[e.type] ?? 0) + 1;
    if (e.type === 'RESERVE') scheduled += e.units;
    else if (e.type === 'RELEASE' || e.type === 'EXPIRE') scheduled -= e.units;
    else if (e.type === 'CONSUME') (used += e.units, (scheduled -= e.units));
    else if (e.type === 'ADJUST') total += e.units;
    if (e.total_after !== total || e.used_after !== used || e.scheduled_after !== scheduled) runningMismatches++;
  }
  return {
    counters: { total: a.total_units, used: a.used_units, scheduled: a.scheduled_units },
    reservations: { scheduled: r.scheduled, used: r.used, count: r.count },
    ledger: { scheduled, used, byType },
    runningMismatches,
  };
}

/** The accounts agree with each other and with `expected` counters. */
export function expectAgreeing(accounts: UnitAccounts, expected: { used: number; scheduled: number }): void {
  expect(accounts.counters).toMatchObject(expected);
  expect({ used: accounts.reservations.used, scheduled: accounts.reservations.scheduled }).toEqual(expected);
  expect({ used: accounts.ledger.used, scheduled: accounts.ledger.scheduled }).toEqual(expected);
  expect(accounts.runningMismatches).toBe(0);
  expect(accounts.counters.used + accounts.counters.scheduled).toBeLessThanOrEqual(accounts.counters.total);
}
