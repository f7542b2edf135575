import { Client } from 'pg';
import { checkIntegrity, INTACT } from './helpers/ledger-check';
import { TestApp } from './helpers/test-app';
import { createAuthorization, metricDelta, metrics, metricValue, OrgWorld, startAppWithOrg } from './helpers/world';

/**
 * Provokes a real serialization failure: an outside SERIALIZABLE transaction updates the
 * authorization row and holds its lock; the service's transaction reads, then blocks on the row;
 * when the outside one commits, PostgreSQL fails the service's with 40001.
 */
async function withConflictingWriter(t: TestApp, authorizationId: string, whileHeld: () => Promise<unknown>) {
  const writer = new Client({ connectionString: t.databaseUrl });
  await writer.connect();
  await writer.query('begin isolation level serializable');
  await writer.query('update authorizations set notes = $2 where id = $1', [authorizationId, 'touched from outside']);
  const pending = whileHeld();
  // Wait until the service's transaction is blocked on our row lock (a state, not a sleep).
  for (;;) {
    const { rows } = await writer.query(
      `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database() and pid <> pg_backend_pid()`,
    );
    if (rows[0].n > 0) break;
  }
  await writer.query('commit');
  await writer.end();
  return pending;
}

describe('retries on real serialization failures', () => {
  let t: TestApp;
  let org: OrgWorld;

  beforeAll(async () => ({ t, org } = await startAppWithOrg({ RETRY_BASE_DELAY_MS: '1', RETRY_MAX_DELAY_MS: '5' })));
  afterAll(() => t.close());

  it('a reservation that hits 40001 is retried on a fresh unit of work and succeeds', async () => {
    const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 50 });
    const before = await metrics(t.request);
    const res: any = await withConflictingWriter(t, auth.id, () =>
      t.request('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token: org.tokens.PRACTITIONER, body: { units: 10 } }),
    );
    expect(res.status).toBe(201);
    expect(res.body.authorization).toMatchObject({ scheduledUnits: 10, notes: 'touched from outside' });
    const after = await metrics(t.request);
    const delta = (name: string, labels: Record<string, string>) => metricDelta(before, after, name, labels);
    expect(delta('unit_transaction_retries_total', { operation: 'reserve' })).toBe(1);
    expect(delta('unit_transactions_total', { operation: 'reserve', outcome: 'committed' })).toBe(1);
    expect(delta('unit_transaction_failures_total', { operation: 'reserve' })).toBe(0);
    expect(delta('unit_transaction_attempts_bucket', { operation: 'reserve', le: '1' })).toBe(0);
    expect(delta('unit_transaction_attempts_bucket', { operation: 'reserve', le: '2' })).toBe(1);
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });
});

describe('retries exhausted', () => {
  let t: TestApp;
  let org: OrgWorld;

  beforeAll(async () => ({ t, org } = await startAppWithOrg({ RETRY_MAX_ATTEMPTS: '1' })));
  afterAll(() => t.close());

  it('gives 503 CONTENTION_RETRY_EXHAUSTED with Retry-After, counts a failure and writes nothing', async () => {
    const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 50 });
    const before = await metrics(t.request);
    const res: any = await withConflictingWriter(t, auth.id, () =>
      t.request('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token: org.tokens.PRACTITIONER, body: { units: 10 } }),
    );
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ statusCode: 503, code: 'CONTENTION_RETRY_EXHAUSTED' });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const after = await metrics(t.request);
    expect(metricValue(after, 'unit_transaction_failures_total', { operation: 'reserve' }) - metricValue(before, 'unit_transaction_failures_total', { operation: 'reserve' })).toBe(1);
    expect(metricValue(after, 'unit_transaction_retries_total', { operation: 'reserve' })).toBe(0);
    const state = await t.request('GET', `/api/v1/authorizations/${auth.id}`, { token: org.tokens.VIEWER });
    expect(state.body).toMatchObject({ scheduledUnits: 0, usedUnits: 0 });
    const reservations = await t.sql.query('select count(*)::int as n from reservations where authorization_id = $1', [auth.id]);
    expect(reservations.rows[0].n).toBe(0);
  });
});

describe('instances take turns on an authorization (advisory locks)', () => {
  let t: TestApp;
  let org: OrgWorld;

  beforeAll(async () => ({ t, org } = await startAppWithOrg()));
  afterAll(() => t.close());

  it('waits for the lock held by another instance, then sees its commit: no conflict, no retry', async () => {
    const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 50 });
    // "Another instance": holds the authorization's lock and changes the row while holding it.
    const other = new Client({ connectionString: t.databaseUrl });
    await other.connect();
    await other.query('select pg_advisory_lock(hashtextextended($1, 0))', [auth.id]);
    const before = await metrics(t.request);
    const pending = t.request('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token: org.tokens.PRACTITIONER, body: { units: 10 } });
    for (;;) {
      const { rows } = await other.query(
        `select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and wait_event = 'advisory' and datname = current_database()`,
      );
      if (rows[0].n > 0) break;
    }
    await other.query('begin isolation level serializable');
    await other.query('update authorizations set scheduled_units = scheduled_units + 5 where id = $1', [auth.id]);
    await other.query('commit');
    await other.query('select pg_advisory_unlock_all()');
    await other.end();

    const res: any = await pending;
    expect(res.status).toBe(201);
    expect(res.body.authorization).toMatchObject({ scheduledUnits: 15, availableUnits: 35 });
    const after = await metrics(t.request);
    expect(metricValue(after, 'unit_transaction_retries_total', { operation: 'reserve' }) - metricValue(before, 'unit_transaction_retries_total', { operation: 'reserve' })).toBe(0);
  });
});
