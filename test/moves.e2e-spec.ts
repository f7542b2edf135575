import { checkIntegrity, INTACT } from './helpers/ledger-check';
import { dbState, unique } from './helpers/routes';
import { TestApp } from './helpers/test-app';
import { createAuthorization, createOrg, OrgWorld, rootToken, startAppWithOrg } from './helpers/world';

/**
 * SPEC §10 moving a session (PATCH /api/v1/reservations/:id {units?, serviceDate?}): all or
 * nothing, checked as if the old hold were gone, recorded as RELEASE + RESERVE in one transaction,
 * idempotent like every other change.
 */
describe('moving a session', () => {
  let t: TestApp;
  let org: OrgWorld;

  beforeAll(async () => ({ t, org } = await startAppWithOrg()));
  afterAll(() => t.close());

  const weeklyCapped = (capUnits = 20, totalUnits = 100) =>
    createAuthorization(t.request, org.tokens.ADMIN, { totalUnits, startDate: '2026-01-01', endDate: '2026-12-31', caps: [{ period: 'WEEK', units: capUnits }] });
  const reserve = async (authorizationId: string, units: number, serviceDate: string) => {
    const res = await t.request('POST', `/api/v1/authorizations/${authorizationId}/reservations`, { token: org.tokens.PRACTITIONER, body: { units, serviceDate } });
    expect(res.status).toBe(201);
    return res.body.reservation as { id: string; lineId: string };
  };
  const move = (id: string, body: object, headers: Record<string, string> = {}) =>
    t.request('PATCH', `/api/v1/reservations/${id}`, { token: org.tokens.PRACTITIONER, body, headers });
  const ledgerOf = async (authorizationId: string) =>
    (await t.request('GET', `/api/v1/authorizations/${authorizationId}/ledger?limit=100`, { token: org.tokens.VIEWER })).body.items.map(
      (e: { type: string; units: number; serviceDate: string; reservationId: string }) => `${e.type} ${e.units} ${e.serviceDate}`,
    );

  it('a move into a full week is refused (409 PERIOD_CAP_EXCEEDED) and changes nothing', async () => {
    const auth = await weeklyCapped();
    await reserve(auth.id, 20, '2026-03-10'); // the week of 2026-03-09 is full
    const mine = await reserve(auth.id, 5, '2026-03-03');
    const before = await dbState(t.sql, { authorizationId: auth.id });
    const buckets = async () => (await t.sql.query('select * from cap_buckets where authorization_id = $1 order by period_start', [auth.id])).rows;
    const bucketsBefore = await buckets();
    const res = await move(mine.id, { serviceDate: '2026-03-12' });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'PERIOD_CAP_EXCEEDED', period: 'WEEK', periodStart: '2026-03-09', periodEnd: '2026-03-15', capUnits: 20, availableUnits: 0, requestedUnits: 5 });
    expect(await dbState(t.sql, { authorizationId: auth.id })).toEqual(before);
    expect(await buckets()).toEqual(bucketsBefore);
  });

  it('within its own full week it is checked as if the old hold were gone: 5 units to another day → 200', async () => {
    const auth = await weeklyCapped();
    await reserve(auth.id, 15, '2026-03-02');
    const mine = await reserve(auth.id, 5, '2026-03-03'); // the week holds 20 of 20
    const res = await move(mine.id, { serviceDate: '2026-03-06' });
    expect(res.status).toBe(200);
    expect(res.body.reservation).toMatchObject({ id: mine.id, units: 5, serviceDate: '2026-03-06', status: 'SCHEDULED', lineId: mine.lineId });
    expect(res.body.authorization).toMatchObject({ scheduledUnits: 20 });
    // More units in the same full week: refused with what that week would have left without the old hold (5).
    const more = await move(mine.id, { units: 6 });
    expect(more.body).toMatchObject({ code: 'PERIOD_CAP_EXCEEDED', availableUnits: 5, requestedUnits: 6 });
    expect(await ledgerOf(auth.id)).toEqual(['RESERVE 15 2026-03-02', 'RESERVE 5 2026-03-03', 'RELEASE 5 2026-03-03', 'RESERVE 5 2026-03-06']);
    const { rows } = await t.sql.query('select revision, units, service_date::text as day from reservations where id = $1', [mine.id]);
    expect(rows).toEqual([{ revision: 1, units: 5, day: '2026-03-06' }]);
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });

  it('units and date together, across weeks: the old week gets its units back, the new one takes them', async () => {
    const auth = await weeklyCapped(10);
    const mine = await reserve(auth.id, 10, '2026-04-01');
    const res = await move(mine.id, { units: 7, serviceDate: '2026-04-08' });
    expect(res.status).toBe(200);
    const { rows } = await t.sql.query(
      `select period_start::text as start, scheduled_units as scheduled from cap_buckets where authorization_id = $1 order by period_start`,
      [auth.id],
    );
    expect(rows).toEqual([{ start: '2026-03-30', scheduled: 0 }, { start: '2026-04-06', scheduled: 7 }]);
    expect((await reserve(auth.id, 10, '2026-04-02')).id).toBeDefined(); // the old week is free again
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });

  it('more units than the line has left (counting its own) → 409 INSUFFICIENT_UNITS; outside the dates → 409 OUTSIDE_AUTHORIZATION_PERIOD; unchanged → 200 and no ledger entry', async () => {
    const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 10, startDate: '2026-01-01', endDate: '2026-06-30' });
    const mine = await reserve(auth.id, 4, '2026-02-02');
    await reserve(auth.id, 4, '2026-02-03');
    expect((await move(mine.id, { units: 7 })).body).toMatchObject({ code: 'INSUFFICIENT_UNITS', availableUnits: 6, requestedUnits: 7 });
    expect((await move(mine.id, { serviceDate: '2026-07-01' })).body).toMatchObject({ code: 'OUTSIDE_AUTHORIZATION_PERIOD' });
    const same = await move(mine.id, { units: 4, serviceDate: '2026-02-02' });
    expect(same.status).toBe(200);
    expect(await ledgerOf(auth.id)).toEqual(['RESERVE 4 2026-02-02', 'RESERVE 4 2026-02-03']);
    expect((await move(mine.id, { units: 6 })).status).toBe(200);
  });

  it('idempotent: the same key and body replays the answer (one move); another body under the key → 422', async () => {
    const auth = await weeklyCapped();
    const mine = await reserve(auth.id, 5, '2026-05-04');
    const key = unique('move');
    const first = await move(mine.id, { serviceDate: '2026-05-05' }, { 'Idempotency-Key': key });
    const again = await move(mine.id, { serviceDate: '2026-05-05' }, { 'Idempotency-Key': key });
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect((await move(mine.id, { serviceDate: '2026-05-06' }, { 'Idempotency-Key': key })).status).toBe(422);
    // Stored as answered: 200 (a PATCH), not the 201 of a POST.
    const { rows } = await t.sql.query('select status_code from idempotency_keys where key = $1', [key]);
    expect(rows).toEqual([{ status_code: 200 }]);
    expect(await ledgerOf(auth.id)).toEqual(['RESERVE 5 2026-05-04', 'RELEASE 5 2026-05-04', 'RESERVE 5 2026-05-05']);
  });

  it('a move racing a consume of the same reservation: one of the two serial outcomes, never both half-done', async () => {
    for (let round = 0; round < 5; round++) {
      const auth = await weeklyCapped();
      const mine = await reserve(auth.id, 6, '2026-06-01');
      const [moved, consumed] = await Promise.all([
        move(mine.id, { units: 4 }),
        t.request('POST', `/api/v1/reservations/${mine.id}/consume`, { token: org.tokens.PRACTITIONER, body: {} }),
      ]);
      expect(consumed.status).toBe(200);
      if (moved.status === 200) expect(consumed.body.reservation).toMatchObject({ status: 'CONSUMED', units: 4, consumedUnits: 4 });
      else {
        expect(moved.body).toMatchObject({ code: 'RESERVATION_NOT_SCHEDULED' });
        expect(consumed.body.reservation).toMatchObject({ status: 'CONSUMED', units: 6, consumedUnits: 6 });
      }
    }
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });

  it('who may move: VIEWER 403, another organization 404, a finished reservation 409, bad input 400', async () => {
    const auth = await weeklyCapped();
    const mine = await reserve(auth.id, 2, '2026-02-10');
    expect((await t.request('PATCH', `/api/v1/reservations/${mine.id}`, { token: org.tokens.VIEWER, body: { units: 1 } })).status).toBe(403);
    const other = await createOrg(t.request, await rootToken(t.request));
    expect((await t.request('PATCH', `/api/v1/reservations/${mine.id}`, { token: other.tokens.ADMIN, body: { units: 1 } })).status).toBe(404);
    expect((await move(mine.id, { units: 0 })).body).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((await move(mine.id, { serviceDate: '2026-02-30' })).body).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((await move(mine.id, { lineId: mine.lineId })).body).toMatchObject({ code: 'VALIDATION_FAILED' });
    await t.request('POST', `/api/v1/reservations/${mine.id}/release`, { token: org.tokens.PRACTITIONER });
    expect((await move(mine.id, { units: 1 })).body).toMatchObject({ code: 'RESERVATION_NOT_SCHEDULED' });
  });
});
