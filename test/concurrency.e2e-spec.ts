import { checkIntegrity, INTACT } from './helpers/ledger-check';
import { TestApp } from './helpers/test-app';
import { createAuthorization, OrgWorld, startAppWithOrg } from './helpers/world';

describe('concurrency: the invariant under simultaneous unit operations', () => {
  let t: TestApp;
  let org: OrgWorld;

  beforeAll(async () => ({ t, org } = await startAppWithOrg()));
  afterAll(() => t.close());

  it('40 concurrent reservations of 10 units on a 50-unit authorization: exactly 5 succeed, 35 get 409', async () => {
    const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 50 });
    const results = await Promise.all(
      Array.from({ length: 40 }, () =>
        t.request('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token: org.tokens.PRACTITIONER, body: { units: 10 } }),
      ),
    );
    const created = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 409);
    expect(created).toHaveLength(5);
    expect(refused).toHaveLength(35);
    for (const r of refused) expect(r.body).toMatchObject({ code: 'INSUFFICIENT_UNITS', availableUnits: 0, requestedUnits: 10 });

    const after = await t.request('GET', `/api/v1/authorizations/${auth.id}`, { token: org.tokens.VIEWER });
    expect(after.body).toMatchObject({ totalUnits: 50, usedUnits: 0, scheduledUnits: 50, availableUnits: 0, status: 'EXHAUSTED' });
    const ledger = await t.request('GET', `/api/v1/authorizations/${auth.id}/ledger?limit=100`, { token: org.tokens.VIEWER });
    expect(ledger.body.items.map((e: { type: string; units: number }) => `${e.type}:${e.units}`)).toEqual(Array(5).fill('RESERVE:10'));
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });

  it('a concurrent mix of reserve, consume and release keeps the invariant and reconciles with the ledger', async () => {
    const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 100 });
    const reserve = (units: number) =>
      t.request('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token: org.tokens.PRACTITIONER, body: { units } });
    // Seed 10 reservations of 5 units (50 scheduled), then race: 20 more reservations of 5,
    // consumption of 3 units from 5 seeded reservations, release of the other 5.
    const seeded = await Promise.all(Array.from({ length: 10 }, () => reserve(5)));
    expect(seeded.every((r) => r.status === 201)).toBe(true);
    const ids = seeded.map((r) => r.body.reservation.id as string);
    const mix = await Promise.all([
      ...Array.from({ length: 20 }, () => reserve(5)),
      ...ids.slice(0, 5).map((id) => t.request('POST', `/api/v1/reservations/${id}/consume`, { token: org.tokens.PRACTITIONER, body: { units: 3 } })),
      ...ids.slice(5).map((id) => t.request('POST', `/api/v1/reservations/${id}/release`, { token: org.tokens.ADMIN })),
    ]);
    const [reserves, consumes, releases] = [mix.slice(0, 20), mix.slice(20, 25), mix.slice(25)];
    expect(consumes.map((r) => r.status)).toEqual(Array(5).fill(200));
    expect(releases.map((r) => r.status)).toEqual(Array(5).fill(200));
    const reserved = reserves.filter((r) => r.status === 201).length;
    expect(reserves.filter((r) => r.status !== 201).every((r) => r.status === 409 && r.body.code === 'INSUFFICIENT_UNITS')).toBe(true);

    // Whatever the interleaving: used = 5 × 3; scheduled = 5 × reserved; and no more than 100 in all.
    const after = (await t.request('GET', `/api/v1/authorizations/${auth.id}`, { token: org.tokens.VIEWER })).body;
    expect(after.usedUnits).toBe(15);
    expect(after.scheduledUnits).toBe(5 * reserved);
    expect(after.usedUnits + after.scheduledUnits).toBeLessThanOrEqual(100);
    // Released/consumed units free room: at least (100 - 50) / 5 = 10 reservations must have fit.
    expect(reserved).toBeGreaterThanOrEqual(10);
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });

  it('the same reservation consumed and released at once leaves SCHEDULED exactly once', async () => {
    const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 20 });
    const res = await t.request('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token: org.tokens.PRACTITIONER, body: { units: 8 } });
    const id = res.body.reservation.id;
    const outcomes = await Promise.all([
      ...Array.from({ length: 5 }, () => t.request('POST', `/api/v1/reservations/${id}/consume`, { token: org.tokens.PRACTITIONER })),
      ...Array.from({ length: 5 }, () => t.request('POST', `/api/v1/reservations/${id}/release`, { token: org.tokens.PRACTITIONER })),
    ]);
    expect(outcomes.filter((r) => r.status === 200)).toHaveLength(1);
    expect(outcomes.filter((r) => r.status === 409 && r.body.code === 'RESERVATION_NOT_SCHEDULED')).toHaveLength(9);
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });

  it('refusals expected from an earlier read are still decided on fresh data: units added since are granted', async () => {
    const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 20 });
    const reserve = () => t.request('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token: org.tokens.PRACTITIONER, body: { units: 10 } });
    expect((await reserve()).status).toBe(201);
    expect((await reserve()).status).toBe(201);
    const refused = await Promise.all(Array.from({ length: 5 }, reserve));
    expect(refused.map((r) => `${r.status} ${r.body.code}`)).toEqual(Array(5).fill('409 INSUFFICIENT_UNITS'));
    // More units, through a path that is not a unit operation: this instance's last read says 0 left.
    const patched = await t.request('PATCH', `/api/v1/authorizations/${auth.id}`, { token: org.tokens.ADMIN, body: { totalUnits: 40 } });
    expect(patched.status).toBe(200);
    const again = await Promise.all(Array.from({ length: 4 }, reserve));
    expect(again.map((r) => r.status).sort()).toEqual([201, 201, 409, 409]);
    const after = (await t.request('GET', `/api/v1/authorizations/${auth.id}`, { token: org.tokens.VIEWER })).body;
    expect(after).toMatchObject({ totalUnits: 40, scheduledUnits: 40, availableUnits: 0 });
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });
});
