// The SQL integrity checks cannot pass by not running: a query that errors, or a database that
// cannot be reached, fails the verdict (and the CI smoke, which uses the same sqlFindings); SQL not
// run at all fails under CI=true. The last test runs the real checkViaSql on a real PostgreSQL.
import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { checkViaSql, sqlFindings } from '../lib/integrity.mjs';
import { evaluateScenario } from '../lib/verdict.mjs';
import { SCENARIOS } from '../lib/scenarios.mjs';
import { startEmbeddedPostgres } from '../lib/embedded-db.mjs';

const passingRun = (sql) => ({
  run: {
    outcomes: { 201: 50, '409 INSUFFICIENT_UNITS': 2950 },
    errors: 0,
    completed: 3000,
    offeredRate: 50,
    achievedSendRate: 50,
    completionThroughput: 50,
    latency: { p95: 4, p99: 7 },
  },
  expectations: { expectedReserveOk: 50, reserveOk: 50, expectedInsufficient: 2950, reserveInsufficient: 2950 },
  metrics: { present: true, failureRate: 0, retryRate: 0 },
  integrity: { overbooked: 0, negative: 0, ledgerMismatches: 0, clientMismatches: 0 },
  sql,
});
const evaluate = (sql) => {
  const x = passingRun(sql);
  return evaluateScenario(SCENARIOS[1], x.run, x.expectations, x.metrics, x.integrity, x.sql);
};
const failing = (result) => result.criteria.filter((c) => !c.pass).map((c) => `${c.name}: ${c.value}`);

/** Runs fn with process.env.CI set to value (undefined: unset), then restores it. */
function withCi(value, fn) {
  const saved = process.env.CI;
  if (value === undefined) delete process.env.CI;
  else process.env.CI = value;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env.CI;
    else process.env.CI = saved;
  }
}

test('all SQL counts 0: GO (control)', () => {
  const result = evaluate({ available: true, checks: { overbookedRows: { value: 0 }, ledgerCounterMismatches: { value: 0 } } });
  assert.equal(result.verdict, 'GO');
});

test('a SQL query that errors is NO-GO, in CI and outside it', () => {
  for (const ci of ['true', undefined]) {
    const result = withCi(ci, () => evaluate({ available: true, checks: { overbookedRows: { value: 0 }, ledgerCounterMismatches: { error: 'relation "ledger_entries" does not exist' } } }));
    assert.equal(result.verdict, 'NO-GO', `CI=${ci}`);
    assert.deepEqual(failing(result), ['Integrity (SQL, whole table): ledgerCounterMismatches: query failed: relation "ledger_entries" does not exist']);
  }
});

test('the old "skipped" shape and a result without a value are failures too', () => {
  assert.equal(sqlFindings({ available: true, checks: { a: { skipped: 'x' } } }, { required: false })[0].pass, false);
  assert.equal(sqlFindings({ available: true, checks: { a: { value: null } } }, { required: false })[0].pass, false);
  assert.equal(sqlFindings({ available: true, checks: {} }, { required: false })[0].pass, false);
});

test('a database URL that cannot be reached is NO-GO, in CI and outside it', () => {
  for (const ci of ['true', undefined]) {
    const result = withCi(ci, () => evaluate({ available: false, error: true, reason: 'cannot connect: ECONNREFUSED' }));
    assert.equal(result.verdict, 'NO-GO', `CI=${ci}`);
  }
});

test('SQL not run (no database URL): NO-GO under CI=true; outside CI, no SQL criterion (the report says "not run")', () => {
  const notRun = { available: false, reason: 'no database URL (set DATABASE_URL)' };
  const inCi = withCi('true', () => evaluate(notRun));
  assert.equal(inCi.verdict, 'NO-GO');
  assert.deepEqual(failing(inCi), ['Integrity (SQL, whole table): SQL checks ran (required under CI=true): not run: no database URL (set DATABASE_URL)']);
  assert.equal(withCi(undefined, () => evaluate(notRun)).verdict, 'GO');
  assert.equal(withCi('false', () => evaluate(notRun)).verdict, 'GO');
});

test('on a real PostgreSQL: the built-in checks read 0 on a consistent schema; a broken query and an unreachable server fail the verdict', async () => {
  const db = await startEmbeddedPostgres();
  after(() => db.stop());
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    // The columns the checks read (the service's schema is richer; this is what the queries need).
    await client.query(`
      CREATE TABLE authorizations (id int PRIMARY KEY, total_units int, used_units int, scheduled_units int);
      CREATE TABLE ledger_entries (authorization_id int, type text, units int);
      CREATE TABLE reservations (id int PRIMARY KEY, authorization_id int, units int, status text, expires_at timestamptz);
      CREATE TABLE reservation_expiries (reservation_id int, expires_at timestamptz);
      INSERT INTO authorizations VALUES (1, 10, 2, 3);
      INSERT INTO ledger_entries VALUES (1, 'RESERVE', 5), (1, 'CONSUME', 2);
      INSERT INTO reservations VALUES (1, 1, 3, 'SCHEDULED', NULL), (2, 1, 2, 'CONSUMED', NULL);`);
  } finally {
    await client.end();
  }
  const good = await checkViaSql(db.url);
  assert.deepEqual(good.checks, { overbookedRows: { value: 0 }, ledgerCounterMismatches: { value: 0 }, scheduledReservationMismatches: { value: 0 }, pendingExpiryMismatches: { value: 0 } });
  assert.equal(withCi('true', () => evaluate(good)).verdict, 'GO');

  // Deliberate breaks: a table that does not exist, a syntax error, a query without `n`.
  const broken = await checkViaSql(db.url, {
    checks: {
      overbookedRows: 'SELECT count(*)::int AS n FROM authorizations WHERE used_units > total_units',
      missingTable: 'SELECT count(*)::int AS n FROM no_such_table',
      syntax: 'SELEC 1',
      noN: 'SELECT 1 AS m',
    },
  });
  assert.deepEqual(broken.checks.overbookedRows, { value: 0 });
  assert.match(broken.checks.missingTable.error, /no_such_table/);
  assert.match(broken.checks.syntax.error, /syntax error/);
  assert.match(broken.checks.noN.error, /integer n/);
  for (const ci of ['true', undefined]) {
    const result = withCi(ci, () => evaluate(broken));
    assert.equal(result.verdict, 'NO-GO', `CI=${ci}`);
    assert.deepEqual(failing(result).map((f) => f.split(':')[1].trim()), ['missingTable', 'syntax', 'noN']);
  }

  // A schema that lost a column the checks read: the built-in query errors, the verdict is NO-GO.
  const drop = new pg.Client({ connectionString: db.url });
  await drop.connect();
  await drop.query('ALTER TABLE reservations DROP COLUMN status');
  await drop.end();
  const lostColumn = await checkViaSql(db.url);
  assert.match(lostColumn.checks.scheduledReservationMismatches.error, /status/);
  assert.equal(evaluate(lostColumn).verdict, 'NO-GO');

  const unreachable = await checkViaSql(db.url.replace(`:${db.port}/`, ':1/'));
  assert.equal(unreachable.error, true);
  assert.equal(evaluate(unreachable).verdict, 'NO-GO');
});
