import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { AuthorizationLanes, LANE_COUNT } from '../src/shared/transactions/authorization-lanes';
import { HttpResult } from './helpers/http';
import { checkIntegrity, INTACT } from './helpers/ledger-check';
import { closeLockClients, holdAuthorizationRow, lockClient, lockWaiters, switchLanesOff, waitUntil } from './helpers/lock-gates';
import { startTestApp, TestApp } from './helpers/test-app';
import { expectAgreeing, unitAccounts } from './helpers/unit-accounts';
import { createAuthorization, createOrg, OrgWorld, rootToken } from './helpers/world';

/**
 * Inside one instance every operation on an authorization queues in a lane, so races there prove
 * the lane. These races meet in PostgreSQL: two instances on one database (each with its own
 * lanes), and one instance with its lanes switched off. Each race is forced, not hoped for: a
 * separate SQL connection holds the authorization's row FOR UPDATE until the competing
 * transactions wait in PostgreSQL (as pg_stat_activity reports) — the first inside its transaction
 * at its write, the others at the advisory lock the service takes before BEGIN (or, were that lock
 * gone, at the same row) — then lets go.
 */

type Instance = Pick<TestApp, 'request'>;

const reservePath = (authorizationId: string) => `/api/v1/authorizations/${authorizationId}/reservations`;

function reserveOn(t: Instance, token: string, authorizationId: string, units: number, key?: string) {
  return t.request('POST', reservePath(authorizationId), { token, body: { units }, headers: key ? { 'Idempotency-Key': key } : {} });
}

/** Every refusal of a reservation is INSUFFICIENT_UNITS, justified by the numbers it reports. */
function expectJustifiedRefusals(refused: HttpResult[], requestedUnits: number): void {
  for (const r of refused) {
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: 'INSUFFICIENT_UNITS', requestedUnits });
    expect(r.body.availableUnits).toBeLessThan(r.body.requestedUnits);
    expect(r.body.availableUnits).toBeGreaterThanOrEqual(0);
  }
}

/** Fires `requests` while `holder` keeps the authorization locked; lets go once `waiters` transactions wait in PostgreSQL. */
async function raceBehindLock<T>(
  sql: Client,
  hold: () => Promise<() => Promise<void>>,
  waiters: (n: number) => boolean,
  requests: () => Promise<T>[],
): Promise<{ results: T[]; waiting: number }> {
  const release = await hold();
  let waiting = 0;
  let pending: Promise<T>[] = [];
  try {
    pending = requests();
    await waitUntil('the competing transactions wait in PostgreSQL', async () => waiters((waiting = (await lockWaiters(sql)).length))).catch((error: Error) => {
      throw new Error(`${error.message} (transactions last seen waiting: ${waiting})`);
    });
  } finally {
    await release();
    // Also when the gate failed: no request may still be in flight when the app closes its pool.
    await Promise.allSettled(pending);
  }
  return { results: await Promise.all(pending), waiting };
}

/**
 * A reserve/release/consume storm on one authorization of 100 units holding 8 reservations of 10:
 * three released, three consumed (3 units each), two both consumed and released at once (on
 * different instances when there are two), and 16 new reservations (8 × 10, 8 × 4). The answers
 * must add up exactly to what the tables hold, and the refused reservations sent again one at a
 * time must fill exactly the units the storm left.
 */
async function storm(instances: [Instance, Instance], sql: Client, databaseUrl: string, org: OrgWorld, waiters: (n: number) => boolean) {
  const [a, b] = instances;
  const token = org.tokens.PRACTITIONER;
  const auth = await createAuthorization(a.request, org.tokens.ADMIN, { totalUnits: 100 });
  const pre: string[] = [];
  for (let i = 0; i < 8; i++) {
    const r = await reserveOn(a, token, auth.id, 10);
    expect(r.status).toBe(201);
    pre.push(r.body.reservation.id);
  }
  const act = (t: Instance, id: string, action: 'release' | 'consume', body?: object) => t.request('POST', `/api/v1/reservations/${id}/${action}`, { token, body });
  const holder = await lockClient(databaseUrl);
  const { results } = await raceBehindLock(sql, () => holdAuthorizationRow(holder, auth.id), waiters, () => [
    ...pre.slice(0, 3).map((id, i) => act(i % 2 ? b : a, id, 'release')),
    ...pre.slice(3, 6).map((id, i) => act(i % 2 ? a : b, id, 'consume', { units: 3 })),
    act(a, pre[6], 'consume', { units: 3 }), act(b, pre[6], 'release'),
    act(a, pre[7], 'release'), act(b, pre[7], 'consume', { units: 3 }),
    ...Array.from({ length: 16 }, (_, i) => reserveOn(i % 2 ? b : a, token, auth.id, i < 8 ? 10 : 4)),
  ]);
  await holder.end();

  const [released, consumed, contested, reserves] = [results.slice(0, 3), results.slice(3, 6), results.slice(6, 10), results.slice(10)];
  expect(released.map((r) => r.status)).toEqual([200, 200, 200]);
  expect(consumed.map((r) => r.status)).toEqual([200, 200, 200]);
  let contestedConsumes = 0;
  for (const [consume, release] of [[contested[0], contested[1]], [contested[3], contested[2]]]) {
    expect([consume.status, release.status].sort()).toEqual([200, 409]);
    const loser = consume.status === 409 ? consume : release;
    expect(loser.body.code).toBe('RESERVATION_NOT_SCHEDULED');
    if (consume.status === 200) contestedConsumes++;
  }
  const created = reserves.filter((r) => r.status === 201);
  expect(reserves.filter((r) => r.status !== 201 && r.status !== 409)).toEqual([]);
  reserves.forEach((r, i) => r.status === 409 && expectJustifiedRefusals([r], i < 8 ? 10 : 4));

  // The answers add up exactly to the tables.
  const createdUnits = created.reduce((s, r) => s + r.body.reservation.units, 0);
  const used = 3 * (3 + contestedConsumes);
  const accounts = await unitAccounts(sql, auth.id);
  expectAgreeing(accounts, { used, scheduled: createdUnits });
  expect(accounts.reservations.count).toBe(8 + created.length);
  expect(accounts.ledger.byType).toEqual({ RESERVE: 8 + created.length, RELEASE: 3 + 3 + 2, CONSUME: 3 + contestedConsumes });
  const { rows } = await sql.query(`select id from reservations where authorization_id = $1 and id <> all($2) order by id`, [auth.id, pre]);
  expect(rows.map((r) => r.id)).toEqual(created.map((r) => r.body.reservation.id).sort());
  // The refused ones sent again, one at a time: each fits exactly while what the storm left allows.
  let available = 100 - used - createdUnits;
  const refusedSizes = reserves.flatMap((r, i) => (r.status === 409 ? [i < 8 ? 10 : 4] : []));
  expect(refusedSizes.length).toBeGreaterThan(0);
  const again: [number, number][] = [];
  const expectedAgain: [number, number][] = [];
  for (const [i, units] of refusedSizes.entries()) {
    const r = await reserveOn(i % 2 ? b : a, token, auth.id, units);
    again.push([units, r.status]);
    expectedAgain.push([units, units <= available ? 201 : 409]);
    if (units <= available) available -= units;
    else expectJustifiedRefusals([r], units);
  }
  expect(again).toEqual(expectedAgain);
  expectAgreeing(await unitAccounts(sql, auth.id), { used, scheduled: 100 - used - available });
  return { created: created.length, refused: reserves.length - created.length };
}

describe('races across two instances on one database', () => {
  let one: TestApp;
  let two: TestApp;
  let org: OrgWorld;

  beforeAll(async () => {
    const shared = { JWT_SECRET: 'cross-instance-races-secret-0123456789abcdef' };
    one = await startTestApp(shared);
    two = await startTestApp(shared, one.databaseUrl);
    org = await createOrg(one.request, await rootToken(one.request));
  });
  afterAll(async () => {
    await closeLockClients();
    await two?.close();
    await one?.close();
  });

  it('one Idempotency-Key on a reserve, sent to both at once: one reservation, one RESERVE entry, the other answer replays it', async () => {
    const auth = await createAuthorization(one.request, org.tokens.ADMIN, { totalUnits: 100 });
    const holder = await lockClient(one.databaseUrl);
    for (let round = 0; round < 4; round++) {
      const key = `cross-${round}-${randomBytes(6).toString('hex')}`;
      // The row lock keeps the first transaction *inside* it (it has read: no stored answer yet); the
      // second waits on the advisory lock before BEGIN (or, without it, at the same row).
      const { results } = await raceBehindLock(one.sql, () => holdAuthorizationRow(holder, auth.id), (n) => n === 2, () => [
        reserveOn(round % 2 ? two : one, org.tokens.PRACTITIONER, auth.id, 7, key),
        reserveOn(round % 2 ? one : two, org.tokens.PRACTITIONER, auth.id, 7, key),
      ]);
      expect(results.map((r) => r.status)).toEqual([201, 201]);
      expect(results.map((r) => r.headers.get('idempotent-replayed')).sort()).toEqual(['true', null].sort());
      expect(results[0].body).toEqual(results[1].body);
    }
    await holder.end();
    const accounts = await unitAccounts(one.sql, auth.id);
    expect(accounts.reservations.count).toBe(4);
    expect(accounts.ledger.byType).toEqual({ RESERVE: 4 });
    expectAgreeing(accounts, { used: 0, scheduled: 28 });
    const keys = await one.sql.query('select count(*)::int as n from idempotency_keys where user_id = $1 and key like $2', [org.userIds.PRACTITIONER, 'cross-%']);
    expect(keys.rows[0].n).toBe(4);
  });

  it('consume on one instance against release on the other of the same reservation: exactly one 200 and one 409 RESERVATION_NOT_SCHEDULED', async () => {
    const auth = await createAuthorization(one.request, org.tokens.ADMIN, { totalUnits: 100 });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await reserveOn(one, org.tokens.PRACTITIONER, auth.id, 10)).body.reservation.id);
    const act = (t: TestApp, id: string, action: string, body?: object) =>
      t.request('POST', `/api/v1/reservations/${id}/${action}`, { token: org.tokens.PRACTITIONER, body });
    const holder = await lockClient(one.databaseUrl);
    // Each instance's lane has one transaction on the authorization in flight: two waiters.
    const { results } = await raceBehindLock(one.sql, () => holdAuthorizationRow(holder, auth.id), (n) => n === 2, () =>
      ids.flatMap((id, i) => {
        const [consumer, releaser] = i % 2 ? [two, one] : [one, two];
        return [act(consumer, id, 'consume', { units: 4 }), act(releaser, id, 'release')];
      }),
    );
    await holder.end();
    let consumes = 0;
    for (let i = 0; i < ids.length; i++) {
      const [consume, release] = [results[2 * i], results[2 * i + 1]];
      expect([consume.status, release.status].sort()).toEqual([200, 409]);
      const [winner, loser] = consume.status === 200 ? [consume, release] : [release, consume];
      expect(loser.body.code).toBe('RESERVATION_NOT_SCHEDULED');
      expect(winner.body.reservation.status).toBe(consume.status === 200 ? 'CONSUMED' : 'RELEASED');
      const { rows } = await one.sql.query('select status, consumed_units from reservations where id = $1', [ids[i]]);
      expect(rows[0]).toEqual({ status: winner.body.reservation.status, consumed_units: consume.status === 200 ? 4 : 0 });
      if (consume.status === 200) consumes++;
    }
    const accounts = await unitAccounts(one.sql, auth.id);
    expectAgreeing(accounts, { used: 4 * consumes, scheduled: 0 });
    // A consume of 4 of 10 is CONSUME 4 + RELEASE 6; a release is RELEASE 10: one finish each.
    expect(accounts.ledger.byType).toEqual({ RESERVE: 6, RELEASE: 6, ...(consumes ? { CONSUME: consumes } : {}) });
  });

  it('60 reservations of 10 units on 50, over both instances at once: exactly 5 × 201, 55 justified 409 INSUFFICIENT_UNITS', async () => {
    const auth = await createAuthorization(one.request, org.tokens.ADMIN, { totalUnits: 50 });
    const holder = await lockClient(one.databaseUrl);
    // Both instances' first transactions are held back (one at the row inside its transaction, the
    // other at the advisory lock before BEGIN; without advisory locks, both at the row): the rest of the race is theirs.
    const { results } = await raceBehindLock(one.sql, () => holdAuthorizationRow(holder, auth.id), (n) => n === 2, () =>
      Array.from({ length: 60 }, (_, i) => reserveOn(i % 2 ? two : one, org.tokens.PRACTITIONER, auth.id, 10)),
    );
    await holder.end();
    expect(results.filter((r) => r.status === 201)).toHaveLength(5);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(55);
    expectJustifiedRefusals(refused, 10);
    const accounts = await unitAccounts(one.sql, auth.id);
    expect(accounts.reservations.count).toBe(5);
    expect(accounts.ledger.byType).toEqual({ RESERVE: 5 });
    expectAgreeing(accounts, { used: 0, scheduled: 50 });
  });

  it('a reserve/release/consume storm over both instances: every answer accounted for in the reservations, the counters and the ledger', async () => {
    const { created, refused } = await storm([one, two], one.sql, one.databaseUrl, org, (n) => n === 2);
    expect(created + refused).toBe(16);
    expect(await checkIntegrity(one.sql)).toEqual(INTACT);
  });
});

describe('races on one instance with its lanes switched off (straight to PostgreSQL)', () => {
  const POOL = 12;
  let t: TestApp;
  let org: OrgWorld;
  /** More transactions waiting at once than lanes exist: the lanes really are off. */
  const manyWaiting = (n: number) => n > LANE_COUNT && n >= POOL - 2;

  beforeAll(async () => {
    t = await startTestApp({ DATABASE_POOL_SIZE: String(POOL) });
    switchLanesOff(t.app.get(AuthorizationLanes));
    org = await createOrg(t.request, await rootToken(t.request));
  });
  afterAll(async () => {
    await closeLockClients();
    await t?.close();
  });

  it('40 concurrent reservations of 10 units on 50: exactly 5 × 201 and 35 × 409 INSUFFICIENT_UNITS', async () => {
    const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 50 });
    const holder = await lockClient(t.databaseUrl);
    const { results, waiting } = await raceBehindLock(t.sql, () => holdAuthorizationRow(holder, auth.id), manyWaiting, () =>
      Array.from({ length: 40 }, () => reserveOn(t, org.tokens.PRACTITIONER, auth.id, 10)),
    );
    await holder.end();
    expect(waiting).toBeGreaterThan(LANE_COUNT);
    expect(results.filter((r) => r.status === 201)).toHaveLength(5);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(35);
    expectJustifiedRefusals(refused, 10);
    const accounts = await unitAccounts(t.sql, auth.id);
    expect(accounts.reservations.count).toBe(5);
    expect(accounts.ledger.byType).toEqual({ RESERVE: 5 });
    expectAgreeing(accounts, { used: 0, scheduled: 50 });
  });

  it('one reservation consumed 5 times and released 5 times at once: exactly one 200, nine 409 RESERVATION_NOT_SCHEDULED', async () => {
    const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 50 });
    const id = (await reserveOn(t, org.tokens.PRACTITIONER, auth.id, 10)).body.reservation.id;
    const holder = await lockClient(t.databaseUrl);
    const { results, waiting } = await raceBehindLock(t.sql, () => holdAuthorizationRow(holder, auth.id), (n) => n === 10, () =>
      Array.from({ length: 10 }, (_, i) => t.request('POST', `/api/v1/reservations/${id}/${i % 2 ? 'release' : 'consume'}`, { token: org.tokens.PRACTITIONER })),
    );
    await holder.end();
    expect(waiting).toBe(10);
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    const refused = results.filter((r) => r.status !== 200);
    expect(refused.map((r) => [r.status, r.body.code])).toEqual(Array.from({ length: 9 }, () => [409, 'RESERVATION_NOT_SCHEDULED']));
    const winner = results.find((r) => r.status === 200)!;
    const consumed = winner.body.reservation.status === 'CONSUMED';
    const accounts = await unitAccounts(t.sql, auth.id);
    expectAgreeing(accounts, { used: consumed ? 10 : 0, scheduled: 0 });
    expect(accounts.ledger.byType).toEqual(consumed ? { RESERVE: 1, CONSUME: 1 } : { RESERVE: 1, RELEASE: 1 });
  });

  it('one Idempotency-Key sent 20 times at once: applied once, 19 replays of the same answer', async () => {
    const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 50 });
    const key = `direct-${randomBytes(6).toString('hex')}`;
    const holder = await lockClient(t.databaseUrl);
    const { results, waiting } = await raceBehindLock(t.sql, () => holdAuthorizationRow(holder, auth.id), manyWaiting, () =>
      Array.from({ length: 20 }, () => reserveOn(t, org.tokens.PRACTITIONER, auth.id, 10, key)),
    );
    await holder.end();
    expect(waiting).toBeGreaterThan(LANE_COUNT);
    expect(results.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 201));
    expect(results.filter((r) => r.headers.get('idempotent-replayed') === 'true')).toHaveLength(19);
    for (const r of results) expect(r.body).toEqual(results[0].body);
    const accounts = await unitAccounts(t.sql, auth.id);
    expect(accounts.reservations.count).toBe(1);
    expect(accounts.ledger.byType).toEqual({ RESERVE: 1 });
    expectAgreeing(accounts, { used: 0, scheduled: 10 });
  });

  it('the reserve/release/consume storm with the lanes off: every answer accounted for', async () => {
    const { created, refused } = await storm([t, t], t.sql, t.databaseUrl, org, manyWaiting);
    expect(created + refused).toBe(16);
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });
});
