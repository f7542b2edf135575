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

/** CI=true (or 1/yes): the SQL checks must run; "not run" is then a failure too. */
export const sqlRequiredByDefault = () => /^(1|true|yes)$/i.test(process.env.CI ?? '');

/**
 * Whole-table SQL checks. Returns
 *   { available: false, reason }                 no database URL: not run;
 *   { available: false, error: true, reason }    a URL, but no connection: a failure;
 *   { available: true, checks: { name: { value } | { error } } }
 * A query that fails (a missing table or column, a syntax error, a result that is not one integer
 * `n`) is `{ error }`: a failure, never a skip, so a check cannot pass by not running.
 * `checks` replaces the built-in queries (tests).
 */
export async function checkViaSql(databaseUrl, { checks = SQL_CHECKS } = {}) {
  if (!databaseUrl) return { available: false, reason: 'no database URL (set DATABASE_URL)' };
  const client = new pg.Client({ connectionString: databaseUrl });
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    return { available: false, error: true, reason: `cannot connect: ${err.message}` };
  }
  const out = { available: true, checks: {} };
  try {
    for (const [name, sql] of Object.entries(checks)) {
      try {
        const { rows } = await client.query(sql);
        const n = rows.length === 1 ? rows[0].n : undefined;
        out.checks[name] = Number.isInteger(n) ? { value: n } : { error: `expected one row with an integer n, got ${JSON.stringify(rows).slice(0, 200)}` };
      } catch (err) {
        out.checks[name] = { error: err.message };
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

/**
 * The SQL checks as pass/fail findings, for the verdict and the CI smoke: each count must be 0;
 * a query that errored fails; no connection fails; not run (no database URL) fails when
 * `required` (default: under CI=true) and yields no finding otherwise (the report says "not run").
 */
export function sqlFindings(sql, { required = sqlRequiredByDefault() } = {}) {
  if (!sql?.available) {
    if (sql?.error) return [{ name: 'SQL checks could run', value: sql.reason, limit: 'connected', pass: false }];
    if (required) return [{ name: 'SQL checks ran (required under CI=true)', value: `not run: ${sql?.reason ?? 'no result'}`, limit: 'ran', pass: false }];
    return [];
  }
  const findings = Object.entries(sql.checks).map(([name, r]) =>
    'error' in r || !Number.isInteger(r.value)
      ? { name, value: `query failed: ${r.error ?? `no value (${JSON.stringify(r)})`}`, limit: '= 0', pass: false }
      : { name, value: r.value, limit: '= 0', pass: r.value === 0 },
  );
  if (findings.length === 0) findings.push({ name: 'SQL checks ran', value: 'no checks', limit: '≥ 1', pass: false });
  return findings;
}
