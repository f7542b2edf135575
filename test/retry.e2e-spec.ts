import { Client } from 'pg';
import { UnitBatchExecutor } from '../src/authorizations/unit-batch-executor';
import { AuthorizationLanes } from '../src/shared/transactions/authorization-lanes';
import { checkIntegrity, INTACT } from './helpers/ledger-check';
import { lockWaiters, waitUntil } from './helpers/lock-gates';
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

  it('a batch that hits 40001 fails every member; each request is retried by the RetryInterceptor on its own and gets its own answer', async () => {
    const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 50 });
    const path = `/api/v1/authorizations/${auth.id}/reservations`;
    const reserve = (units: number, key?: string) =>
      t.request('POST', path, { token: org.tokens.PRACTITIONER, body: { units }, headers: key ? { 'idempotency-key': key } : {} });
    const [toRelease, toConsume] = [(await reserve(10)).body.reservation.id, (await reserve(10)).body.reservation.id];
    const lanes = t.app.get(AuthorizationLanes);
    const submit = jest.spyOn(lanes, 'submit');
    const execute = jest.spyOn(t.app.get(UnitBatchExecutor), 'execute');
    const before = await metrics(t.request);
    const writer = new Client({ connectionString: t.databaseUrl });
    await writer.connect();
    let pending: Promise<any>[] = [];
    let batches: number[] = [];
    try {
      // The outside writer changes the authorization and keeps its row lock; the lane is held so
      // that all five commands queue up and run as one batch.
      await writer.query('begin isolation level serializable');
      await writer.query('update authorizations set notes = $2 where id = $1', [auth.id, 'touched from outside']);
      let openGate!: () => void;
      const held = lanes.run(auth.id, () => new Promise<void>((resolve) => (openGate = resolve)));
      pending = [
        reserve(1, 'batch-retry-key'),
        reserve(2),
        reserve(3),
        t.request('POST', `/api/v1/reservations/${toRelease}/release`, { token: org.tokens.PRACTITIONER }),
        t.request('POST', `/api/v1/reservations/${toConsume}/consume`, { token: org.tokens.PRACTITIONER, body: { units: 4 } }),
      ];
      await waitUntil('the five commands are queued in the lane', () => submit.mock.calls.length >= 5);
      openGate();
      await held;
      // The batch read the row, then waits for the writer's lock; the writer's commit fails it with 40001.
      await waitUntil('the batch waits at the row lock', async () => (await lockWaiters(t.sql)).length > 0);
      await writer.query('commit');
    } finally {
      await writer.end();
      await Promise.allSettled(pending);
      batches = execute.mock.calls.map(([commands]) => commands.length);
      submit.mockRestore();
      execute.mockRestore();
    }
    const [keyed, two, three, released, consumed] = await Promise.all(pending);
    // One batch of five failed as a whole…
    expect(batches[0]).toBe(5);
    // …and every request was answered on its own, as if alone: each retried exactly once.
    expect([keyed.status, two.status, three.status, released.status, consumed.status]).toEqual([201, 201, 201, 200, 200]);
    expect([keyed.body.reservation.units, two.body.reservation.units, three.body.reservation.units]).toEqual([1, 2, 3]);
    expect(released.body.reservation).toMatchObject({ id: toRelease, status: 'RELEASED' });
    expect(consumed.body.reservation).toMatchObject({ id: toConsume, status: 'CONSUMED', consumedUnits: 4 });
    const after = await metrics(t.request);
    const delta = (name: string, labels: Record<string, string>) => metricDelta(before, after, name, labels);
    expect(delta('unit_transaction_retries_total', { operation: 'reserve' })).toBe(3);
    expect(delta('unit_transaction_retries_total', { operation: 'release' })).toBe(1);
    expect(delta('unit_transaction_retries_total', { operation: 'consume' })).toBe(1);
    for (const operation of ['reserve', 'release', 'consume']) {
      expect(delta('unit_transaction_failures_total', { operation })).toBe(0);
      expect(delta('unit_transaction_attempts_bucket', { operation, le: '1' })).toBe(0);
    }
    // The keyed reservation was applied once: its retry started from an empty unit of work, and a
    // repeat of the request replays the stored answer.
    const replay = await reserve(1, 'batch-retry-key');
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.reservation.id).toBe(keyed.body.reservation.id);
    const state = await t.request('GET', `/api/v1/authorizations/${auth.id}`, { token: org.tokens.VIEWER });
    // 10 + 10 reserved, 10 released, 4 of 10 consumed (the rest freed), then 1 + 2 + 3.
    expect(state.body).toMatchObject({ usedUnits: 4, scheduledUnits: 6, notes: 'touched from outside' });
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
    // (A change that keeps the ledger reconciled: the file's close checks integrity.)
    await other.query('update authorizations set notes = $2 where id = $1', [auth.id, 'changed by the other instance']);
    await other.query('commit');
    await other.query('select pg_advisory_unlock_all()');
    await other.end();

    const res: any = await pending;
    expect(res.status).toBe(201);
    expect(res.body.authorization).toMatchObject({ scheduledUnits: 10, availableUnits: 40, notes: 'changed by the other instance' });
    const after = await metrics(t.request);
    expect(metricValue(after, 'unit_transaction_retries_total', { operation: 'reserve' }) - metricValue(before, 'unit_transaction_retries_total', { operation: 'reserve' })).toBe(0);
  });
});
