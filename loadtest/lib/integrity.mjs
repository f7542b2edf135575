// Integrity after a run. Through the API (works with --target too) and, when a
// database URL is known, also in SQL over the whole tables.
import pg from 'pg';
import { mapLimit } from './api.mjs';

const SIGN = { RESERVE: 1, RELEASE: -1, EXPIRE: -1, CONSUME: -1 };

/** Checks one authorization's counters against its ledger and against the harness's own bookkeeping. */
export function checkAuthorization(initialTotal, auth, ledger, client) {
  const problems = [];
  const { totalUnits: total, usedUnits: used, scheduledUnits: scheduled } = auth;
  if (used + scheduled > total) problems.push({ kind: 'overbooked', detail: `used ${used} + scheduled ${scheduled} > total ${total}` });
  if (used < 0 || scheduled < 0) problems.push({ kind: 'negative', detail: `used ${used}, scheduled ${scheduled}` });
  if (auth.availableUnits !== undefined && auth.availableUnits !== total - used - scheduled) {
    problems.push({ kind: 'available', detail: `availableUnits ${auth.availableUnits} ≠ ${total - used - scheduled}` });
  }
  let sched = 0;
  let consumed = 0;
  let adjust = 0;
  for (const e of ledger) {
    if (e.type === 'ADJUST') adjust += e.units;
    else if (e.type in SIGN) sched += SIGN[e.type] * e.units;
    else problems.push({ kind: 'ledger', detail: `unknown entry type ${e.type}` });
    if (e.type === 'CONSUME') consumed += e.units;
    if (e.usedAfter + e.scheduledAfter > e.totalAfter || e.usedAfter < 0 || e.scheduledAfter < 0) {
      problems.push({ kind: 'ledger', detail: `entry ${e.id} after-values break the invariant` });
    }
  }
  if (sched !== scheduled) problems.push({ kind: 'ledger', detail: `scheduled ${scheduled} ≠ ΣRESERVE−ΣRELEASE−ΣEXPIRE−ΣCONSUME ${sched}` });
  if (consumed !== used) problems.push({ kind: 'ledger', detail: `used ${used} ≠ ΣCONSUME ${consumed}` });
  if (initialTotal + adjust !== total) problems.push({ kind: 'ledger', detail: `total ${total} ≠ initial ${initialTotal} + ΣADJUST ${adjust}` });
  const last = ledger.at(-1);
  if (last && last.totalAfter !== undefined && (last.totalAfter !== total || last.usedAfter !== used || last.scheduledAfter !== scheduled)) {
    problems.push({ kind: 'ledger', detail: `last entry after-values (${last.totalAfter}/${last.usedAfter}/${last.scheduledAfter}) ≠ counters (${total}/${used}/${scheduled})` });
  }
  if (client && !client.uncertain && (client.scheduled !== scheduled || client.used !== used)) {
    problems.push({ kind: 'client', detail: `harness expects scheduled ${client.scheduled} used ${client.used}, service has scheduled ${scheduled} used ${used}` });
  }
  return problems;
}

export async function checkViaApi(api, dataset, clientState) {
  const results = await mapLimit(dataset.authorizations, 8, async (a) => {
    const token = dataset.tokens.tokenFor(a.orgId);
    const auth = await api.getAuthorization(token, a.id);
    const ledger = await api.getLedger(token, a.id);
    const problems = checkAuthorization(a.totalUnits, auth, ledger, clientState?.get(a.id));
    return { a, auth, ledgerEntries: ledger.length, problems };
  });
  const count = (kind) => results.filter((r) => r.problems.some((p) => p.kind === kind)).length;
  return {
    authorizationsChecked: results.length,
    ledgerEntriesRead: results.reduce((s, r) => s + r.ledgerEntries, 0),
    overbooked: count('overbooked'),
    negative: count('negative'),
    ledgerMismatches: count('ledger') + count('available'),
    clientMismatches: count('client'),
    uncertain: [...(clientState?.values() ?? [])].filter((s) => s.uncertain).length,
    problems: results.flatMap((r) => r.problems.map((p) => ({ authNumber: r.a.authNumber, ...p }))).slice(0, 50),
    finalState: results.map((r) => ({
      authNumber: r.a.authNumber,
      totalUnits: r.auth.totalUnits,
      usedUnits: r.auth.usedUnits,
      scheduledUnits: r.auth.scheduledUnits,
      ledgerEntries: r.ledgerEntries,
    })),
  };
}

const SQL_CHECKS = {
  overbookedRows: `SELECT count(*)::int AS n FROM authorizations
     WHERE used_units + scheduled_units > total_units OR used_units < 0 OR scheduled_units < 0`,
  ledgerCounterMismatches: `SELECT count(*)::int AS n FROM authorizations a
     LEFT JOIN (SELECT authorization_id,
                       sum(CASE type WHEN 'RESERVE' THEN units WHEN 'CONSUME' THEN -units
                                     WHEN 'RELEASE' THEN -units WHEN 'EXPIRE' THEN -units ELSE 0 END) AS scheduled,
                       sum(CASE type WHEN 'CONSUME' THEN units ELSE 0 END) AS used
                  FROM ledger_entries GROUP BY authorization_id) l ON l.authorization_id = a.id
     WHERE a.scheduled_units <> coalesce(l.scheduled, 0) OR a.used_units <> coalesce(l.used, 0)`,
  scheduledReservationMismatches: `SELECT count(*)::int AS n FROM authorizations a
     LEFT JOIN (SELECT authorization_id, sum(units) AS units FROM reservations
                 WHERE status = 'SCHEDULED' GROUP BY authorization_id) r ON r.authorization_id = a.id
     WHERE a.scheduled_units <> coalesce(r.units, 0)`,
  pendingExpiryMismatches: `SELECT count(*)::int AS n
     FROM (SELECT id, expires_at FROM reservations WHERE status = 'SCHEDULED' AND expires_at IS NOT NULL) r
     FULL JOIN reservation_expiries e ON e.reservation_id = r.id
     WHERE r.id IS NULL OR e.reservation_id IS NULL OR e.expires_at <> r.expires_at`,
};

/** Whole-table SQL checks; a check whose query fails (schema differs) is reported as skipped. */
export async function checkViaSql(databaseUrl) {
  if (!databaseUrl) return { available: false, reason: 'no database URL (set DATABASE_URL)' };
  const client = new pg.Client({ connectionString: databaseUrl });
  try {
    await client.connect();
  } catch (err) {
    return { available: false, reason: `cannot connect: ${err.message}` };
  }
  const out = { available: true, checks: {} };
  try {
    for (const [name, sql] of Object.entries(SQL_CHECKS)) {
      try {
        out.checks[name] = { value: (await client.query(sql)).rows[0].n };
      } catch (err) {
        out.checks[name] = { skipped: err.message };
      }
    }
    try {
      out.authorizationRows = (await client.query('SELECT count(*)::int AS n FROM authorizations')).rows[0].n;
    } catch {
      /* informational only */
    }
  } finally {
    await client.end();
  }
  return out;
}
