import { ExpirySweeper } from '../src/authorizations/expiry-sweeper.service';
import { checkIntegrity, INTACT } from './helpers/ledger-check';
import { startTestApp, TestApp } from './helpers/test-app';
import { createAuthorization, createOrg, OrgWorld, rootToken } from './helpers/world';

describe('expiry of reservations', () => {
  let one: TestApp;
  let two: TestApp;
  let org: OrgWorld;

  beforeAll(async () => {
    // Two instances on one database, as deployed: same JWT secret.
    const shared = { JWT_SECRET: 'expiry-test-secret-0123456789abcdef' };
    one = await startTestApp(shared);
    two = await startTestApp(shared, one.databaseUrl);
    org = await createOrg(one.request, await rootToken(one.request));
  });
  afterAll(async () => {
    await two.close();
    await one.close();
  });

  /** Moves reservations' expiresAt into the past (the API only accepts future instants). */
  const backdate = (ids: string[]) =>
    one.sql.query(
      `with r as (update reservations set expires_at = now() - interval '1 second' where id = any($1) returning id, expires_at)
       update reservation_expiries e set expires_at = r.expires_at from r where e.reservation_id = r.id`,
      [ids],
    );
  /** The sweeper's pending rows (checkIntegrity checks that they match the SCHEDULED reservations with an expiresAt). */
  const pendingExpiries = async () =>
    (await one.sql.query(`select reservation_id from reservation_expiries order by 1`)).rows.map((r) => r.reservation_id as string);

  it('two instances sweeping at once expire each due reservation exactly once', async () => {
    const auth = await createAuthorization(one.request, org.tokens.ADMIN, { totalUnits: 100 });
    const soon = new Date(Date.now() + 60_000).toISOString();
    const reserve = (expiresAt?: string) =>
      one.request('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token: org.tokens.PRACTITIONER, body: { units: 5, ...(expiresAt ? { expiresAt } : {}) } });
    const due = await Promise.all(Array.from({ length: 12 }, () => reserve(soon)));
    const kept = await reserve();
    expect([...due, kept].every((r) => r.status === 201)).toBe(true);
    await backdate(due.map((r) => r.body.reservation.id));

    const [a, b] = await Promise.all([one.app.get(ExpirySweeper).sweep(), two.app.get(ExpirySweeper).sweep()]);
    expect(a + b).toBe(12);

    const state = (await one.request('GET', `/api/v1/authorizations/${auth.id}`, { token: org.tokens.VIEWER })).body;
    expect(state).toMatchObject({ scheduledUnits: 5, availableUnits: 95 });
    const { rows } = await one.sql.query(`select type, count(*)::int as n from ledger_entries where authorization_id = $1 group by type order by type`, [auth.id]);
    expect(rows).toEqual([{ type: 'EXPIRE', n: 12 }, { type: 'RESERVE', n: 13 }]);
    const statuses = await one.request('GET', `/api/v1/authorizations/${auth.id}/reservations?status=EXPIRED&limit=100`, { token: org.tokens.VIEWER });
    expect(statuses.body.items).toHaveLength(12);
    expect(await checkIntegrity(one.sql)).toEqual(INTACT);
    expect(await pendingExpiries()).toEqual([]);
  });

  it('a reservation with expiresAt is pending expiry exactly while it is SCHEDULED', async () => {
    const auth = await createAuthorization(one.request, org.tokens.ADMIN, { totalUnits: 100 });
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const reserve = (body: object) =>
      one.request('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token: org.tokens.PRACTITIONER, body: { units: 5, ...body } });
    const [released, consumed, partly, held, plain] = await Promise.all([
      reserve({ expiresAt }), reserve({ expiresAt }), reserve({ expiresAt }), reserve({ expiresAt }), reserve({}),
    ]);
    expect([released, consumed, partly, held, plain].map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    const id = (r: typeof held) => r.body.reservation.id as string;
    expect(await pendingExpiries()).toEqual([released, consumed, partly, held].map(id).sort());

    const act = (r: typeof held, action: string, body?: object) =>
      one.request('POST', `/api/v1/reservations/${id(r)}/${action}`, { token: org.tokens.PRACTITIONER, body });
    expect((await act(released, 'release')).status).toBe(200);
    expect((await act(consumed, 'consume')).status).toBe(200);
    expect((await act(partly, 'consume', { units: 2 })).status).toBe(200);
    expect((await act(plain, 'release')).status).toBe(200);

    expect(await pendingExpiries()).toEqual([id(held)]);
    expect(await checkIntegrity(one.sql)).toEqual(INTACT);
    expect(await one.app.get(ExpirySweeper).sweep()).toBe(0);
    await backdate([id(held)]);
    expect(await one.app.get(ExpirySweeper).sweep()).toBe(1);
    expect(await pendingExpiries()).toEqual([]);
    expect(await checkIntegrity(one.sql)).toEqual(INTACT);
  });

  it('a reservation past expiresAt can no longer be released or consumed, even before the sweep', async () => {
    const auth = await createAuthorization(one.request, org.tokens.ADMIN, { totalUnits: 10 });
    const res = await one.request('POST', `/api/v1/authorizations/${auth.id}/reservations`, {
      token: org.tokens.PRACTITIONER,
      body: { units: 4, expiresAt: new Date(Date.now() + 60_000).toISOString() },
    });
    await backdate([res.body.reservation.id]);
    for (const action of ['release', 'consume']) {
      const r = await one.request('POST', `/api/v1/reservations/${res.body.reservation.id}/${action}`, { token: org.tokens.PRACTITIONER });
      expect(r.status).toBe(409);
      expect(r.body.code).toBe('RESERVATION_NOT_SCHEDULED');
    }
    expect(await one.app.get(ExpirySweeper).sweep()).toBe(1);
    const after = await one.request('GET', `/api/v1/reservations/${res.body.reservation.id}`, { token: org.tokens.VIEWER });
    expect(after.body.status).toBe('EXPIRED');
  });
});
