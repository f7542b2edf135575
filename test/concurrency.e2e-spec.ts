import { checkIntegrity, expectJustifiedRefusals, INTACT } from './helpers/ledger-check';
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

  it('a concurrent mix of reserve, consume and release: every refusal justified, then exactly the capacity (17 × 5 of 85 free) is reserved', async () => {
    const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 100 });
    const reserve = (units: number) =>
      t.request('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token: org.tokens.PRACTITIONER, body: { units } });
    // Seed 10 reservations of 5 units (50 scheduled), then race: 20 more reservations of 5,
    // consumption of 3 units from 5 seeded reservations (each frees 2), release of the other 5
    // (each frees 5). Capacity for the race: 50 free before, 50 + 5 × 2 + 5 × 5 = 85 after.
    const seeded = await Promise.all(Array.from({ length: 10 }, () => reserve(5)));
    expect(seeded.map((r) => r.status)).toEqual(Array(10).fill(201));
    const ids = seeded.map((r) => r.body.reservation.id as string);
    const { rows: [{ last: seedEnd }] } = await t.sql.query('select max(id)::text as last from ledger_entries where authorization_id = $1', [auth.id]);
    const mix = await Promise.all([
      ...Array.from({ length: 20 }, () => reserve(5)),
      ...ids.slice(0, 5).map((id) => t.request('POST', `/api/v1/reservations/${id}/consume`, { token: org.tokens.PRACTITIONER, body: { units: 3 } })),
      ...ids.slice(5).map((id) => t.request('POST', `/api/v1/reservations/${id}/release`, { token: org.tokens.ADMIN })),
    ]);
    const [reserves, consumes, releases] = [mix.slice(0, 20), mix.slice(20, 25), mix.slice(25)];
    expect(consumes.map((r) => r.status)).toEqual(Array(5).fill(200));
    expect(releases.map((r) => r.status)).toEqual(Array(5).fill(200));
    const granted = reserves.filter((r) => r.status === 201);
    const refused = reserves.filter((r) => r.status !== 201);
    await expectJustifiedRefusals(t.sql, auth.id, seedEnd, refused, 5);
    // The 50 units free before the race always fit; the 85 free after it bound the rest.
    expect(granted.length).toBeGreaterThanOrEqual(10);
    expect(granted.length).toBeLessThanOrEqual(17);
    let after = (await t.request('GET', `/api/v1/authorizations/${auth.id}`, { token: org.tokens.VIEWER })).body;
    expect(after).toMatchObject({ usedUnits: 15, scheduledUnits: 5 * granted.length, availableUnits: 85 - 5 * granted.length });
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);

    // The refused ones sent again, now that every release and consume has landed: exactly the
    // capacity is granted — 17 reservations of 5 in all — and the rest (3) see 0 available.
    const again = await Promise.all(refused.map(() => reserve(5)));
    expect(again.filter((r) => r.status === 201)).toHaveLength(17 - granted.length);
    const stillRefused = again.filter((r) => r.status !== 201);
    expect(stillRefused).toHaveLength(3);
    for (const r of stillRefused) expect(r.body).toEqual(expect.objectContaining({ statusCode: 409, code: 'INSUFFICIENT_UNITS', availableUnits: 0, requestedUnits: 5 }));
    after = (await t.request('GET', `/api/v1/authorizations/${auth.id}`, { token: org.tokens.VIEWER })).body;
    expect(after).toMatchObject({ totalUnits: 100, usedUnits: 15, scheduledUnits: 85, availableUnits: 0, status: 'EXHAUSTED' });
    const ledger = await t.request('GET', `/api/v1/authorizations/${auth.id}/ledger?limit=100`, { token: org.tokens.VIEWER });
    const count = (kind: string) => ledger.body.items.filter((e: { type: string; units: number }) => `${e.type}:${e.units}` === kind).length;
    expect({ reserve: count('RESERVE:5'), consume: count('CONSUME:3'), release2: count('RELEASE:2'), release5: count('RELEASE:5'), all: ledger.body.items.length }).toEqual({
      reserve: 10 + 17, consume: 5, release2: 5, release5: 5, all: 42,
    });
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
    const won = outcomes.filter((r) => r.status === 200);
    expect(won).toHaveLength(1);
    // The nine others are told the state the winner left: CONSUMED or RELEASED.
    const left = won[0].body.reservation.status;
    expect(['CONSUMED', 'RELEASED']).toContain(left);
    const lost = outcomes.filter((r) => r.status !== 200);
    expect(lost.map((r) => r.body)).toEqual(Array(9).fill(expect.objectContaining({ statusCode: 409, code: 'RESERVATION_NOT_SCHEDULED', reservationStatus: left })));
    const ledger = await t.request('GET', `/api/v1/authorizations/${auth.id}/ledger`, { token: org.tokens.VIEWER });
    expect(ledger.body.items.map((e: { type: string; units: number }) => `${e.type}:${e.units}`)).toEqual(['RESERVE:8', left === 'CONSUMED' ? 'CONSUME:8' : 'RELEASE:8']);
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
    for (const r of again.filter((x) => x.status === 409)) {
      expect(r.body).toEqual(expect.objectContaining({ code: 'INSUFFICIENT_UNITS', availableUnits: 0, requestedUnits: 10 }));
    }
    const after = (await t.request('GET', `/api/v1/authorizations/${auth.id}`, { token: org.tokens.VIEWER })).body;
    expect(after).toMatchObject({ totalUnits: 40, scheduledUnits: 40, availableUnits: 0 });
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });
});
