import { HttpResult } from './helpers/http';
import { checkIntegrity, INTACT } from './helpers/ledger-check';
import { startTestApp, TestApp } from './helpers/test-app';
import { unique } from './helpers/routes';
import { createAuthorization, createOrg, OrgWorld, rootToken } from './helpers/world';

/**
 * SPEC §10 scheduling by patient (POST /api/v1/reservations): the service picks, among the
 * patient's ACTIVE authorizations covering the day with a line of the code, the one ending first
 * on which the units fit; exact under concurrency, on one instance and across three.
 */
describe('scheduling by patient', () => {
  let apps: TestApp[];
  let org: OrgWorld;

  beforeAll(async () => {
    const shared = { JWT_SECRET: 'scheduling-by-patient-secret-0123456789abcdef' };
    const first = await startTestApp(shared);
    apps = [first, await startTestApp(shared, first.databaseUrl), await startTestApp(shared, first.databaseUrl)];
    org = await createOrg(first.request, await rootToken(first.request));
  });
  afterAll(async () => {
    for (const app of apps.slice(1)) await app.close({ integrity: false });
    await apps[0].close();
  });

  const schedule = (app: TestApp, body: Record<string, unknown>) =>
    app.request('POST', '/api/v1/reservations', { token: org.tokens.PRACTITIONER, body: { serviceCode: '97153', serviceDate: '2026-05-04', ...body } });

  /** Two 20-unit authorizations of one patient and code, the later-created one ending first. */
  async function twoAuthorizations() {
    const patientId = unique('patient');
    const later = await createAuthorization(apps[0].request, org.tokens.ADMIN, { patientId, totalUnits: 20, startDate: '2026-01-01', endDate: '2026-09-30' });
    const sooner = await createAuthorization(apps[0].request, org.tokens.ADMIN, { patientId, totalUnits: 20, startDate: '2026-01-01', endDate: '2026-06-30' });
    return { patientId, sooner, later };
  }

  async function expectEightOfTen(results: HttpResult[], ids: { sooner: { id: string }; later: { id: string } }) {
    const created = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status === 409);
    expect({ created: created.length, refused: refused.length }).toEqual({ created: 8, refused: 2 });
    for (const r of refused) {
      expect(r.body).toMatchObject({
        code: 'NO_AUTHORIZATION_AVAILABLE',
        candidates: [
          { authorizationId: ids.sooner.id, code: 'INSUFFICIENT_UNITS', availableUnits: 0 },
          { authorizationId: ids.later.id, code: 'INSUFFICIENT_UNITS', availableUnits: 0 },
        ],
      });
    }
    // In commit order (the ledger's ids), the first four went to the authorization that ends first.
    const { rows } = await apps[0].sql.query(
      `select authorization_id from ledger_entries where authorization_id = any($1) and type = 'RESERVE' order by id`,
      [[ids.sooner.id, ids.later.id]],
    );
    expect(rows.map((r) => r.authorization_id)).toEqual([...Array(4).fill(ids.sooner.id), ...Array(4).fill(ids.later.id)]);
    for (const id of [ids.sooner.id, ids.later.id]) {
      const a = await apps[0].request('GET', `/api/v1/authorizations/${id}`, { token: org.tokens.VIEWER });
      expect(a.body).toMatchObject({ scheduledUnits: 20, availableUnits: 0 });
    }
    expect(await checkIntegrity(apps[0].sql)).toEqual(INTACT);
  }

  it('one instance: 10 concurrent requests of 5 on two 20-unit authorizations → exactly 8 × 201 (4 on the one ending first first) and 2 × 409', async () => {
    const ids = await twoAuthorizations();
    const results = await Promise.all(Array.from({ length: 10 }, () => schedule(apps[0], { patientId: ids.patientId, units: 5 })));
    await expectEightOfTen(results, ids);
  });

  it('three instances: the same requests spread over them → the same exact outcome (locks on every candidate, in one order)', async () => {
    const ids = await twoAuthorizations();
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => schedule(apps[i % 3], { patientId: ids.patientId, units: 5 })));
    await expectEightOfTen(results, ids);
  });

  it('by id and by patient racing from two instances: one of the two serial outcomes, counters equal to the answers', async () => {
    const ids = await twoAuthorizations();
    const [direct, picked] = await Promise.all([
      apps[1].request('POST', `/api/v1/authorizations/${ids.sooner.id}/reservations`, { token: org.tokens.PRACTITIONER, body: { units: 15, serviceDate: '2026-05-04' } }),
      schedule(apps[2], { patientId: ids.patientId, units: 10 }),
    ]);
    expect(picked.status).toBe(201);
    expect(picked.body.reservation).toMatchObject({ authorizationId: picked.body.authorization.id, units: 10, serviceDate: '2026-05-04', status: 'SCHEDULED' });
    // Either the 15 came first (the pick then skips the sooner one, 5 left) or the pick did (then 15 no longer fits there).
    const outcome = picked.body.authorization.id === ids.later.id ? 'direct first' : 'pick first';
    expect(direct.status).toBe(outcome === 'direct first' ? 201 : 409);
    const held = async (id: string) => (await apps[0].request('GET', `/api/v1/authorizations/${id}`, { token: org.tokens.VIEWER })).body.scheduledUnits;
    expect([await held(ids.sooner.id), await held(ids.later.id)]).toEqual(outcome === 'direct first' ? [15, 10] : [10, 0]);
    expect(await checkIntegrity(apps[0].sql)).toEqual(INTACT);
  });

  it('who is a candidate: not another patient, not CANCELLED/PENDING, not outside the dates, not another code, not another organization', async () => {
    const patientId = unique('patient');
    const other = await createOrg(apps[0].request, await rootToken(apps[0].request));
    const year = { startDate: '2026-01-01', endDate: '2026-12-31' };
    await createAuthorization(apps[0].request, other.tokens.ADMIN, { patientId, totalUnits: 50, ...year });
    await createAuthorization(apps[0].request, org.tokens.ADMIN, { patientId: unique('patient'), totalUnits: 50, ...year });
    await createAuthorization(apps[0].request, org.tokens.ADMIN, { patientId, totalUnits: 50, status: 'PENDING', ...year });
    const cancelled = await createAuthorization(apps[0].request, org.tokens.ADMIN, { patientId, totalUnits: 50, ...year });
    expect((await apps[0].request('PATCH', `/api/v1/authorizations/${cancelled.id}`, { token: org.tokens.ADMIN, body: { status: 'CANCELLED' } })).status).toBe(200);
    await createAuthorization(apps[0].request, org.tokens.ADMIN, { patientId, totalUnits: 50, serviceCode: '97155', ...year });
    await createAuthorization(apps[0].request, org.tokens.ADMIN, { patientId, totalUnits: 50, startDate: '2026-06-01', endDate: '2026-06-30' });
    const none = await schedule(apps[0], { patientId, units: 1 });
    expect(none.status).toBe(409);
    expect(none.body).toMatchObject({ code: 'NO_AUTHORIZATION_AVAILABLE', candidates: [] });
    const small = await createAuthorization(apps[0].request, org.tokens.ADMIN, { patientId, totalUnits: 3, ...year });
    const tooMany = await schedule(apps[0], { patientId, units: 4 });
    expect(tooMany.body).toMatchObject({ code: 'NO_AUTHORIZATION_AVAILABLE', candidates: [{ authorizationId: small.id, code: 'INSUFFICIENT_UNITS', availableUnits: 3 }] });
    const fits = await schedule(apps[0], { patientId, units: 3 });
    expect(fits.status).toBe(201);
    expect(fits.body.authorization.id).toBe(small.id);
  });

  it('idempotent: a key replays its answer, also once the authorization it went to is no longer a candidate', async () => {
    const patientId = unique('patient');
    const auth = await createAuthorization(apps[0].request, org.tokens.ADMIN, { patientId, totalUnits: 10, startDate: '2026-01-01', endDate: '2026-12-31' });
    const send = () =>
      apps[0].request('POST', '/api/v1/reservations', { token: org.tokens.PRACTITIONER, body: { patientId, serviceCode: '97153', units: 4, serviceDate: '2026-05-04' }, headers: { 'Idempotency-Key': `k-${patientId}` } });
    const first = await send();
    expect(first.status).toBe(201);
    expect((await apps[0].request('PATCH', `/api/v1/authorizations/${auth.id}`, { token: org.tokens.ADMIN, body: { status: 'PENDING' } })).status).toBe(200);
    const again = await send();
    expect({ status: again.status, body: again.body, replayed: again.headers.get('idempotent-replayed') }).toEqual({ status: 201, body: first.body, replayed: 'true' });
    const { rows } = await apps[0].sql.query('select count(*)::int as n from reservations where authorization_id = $1', [auth.id]);
    expect(rows[0].n).toBe(1);
  });

  it('roles and input: VIEWER 403, SUPER_ADMIN 403 (no organization), missing patientId or serviceCode 400', async () => {
    const viewer = await apps[0].request('POST', '/api/v1/reservations', { token: org.tokens.VIEWER, body: { patientId: 'p', serviceCode: '97153', units: 1 } });
    expect(viewer.status).toBe(403);
    const root = await apps[0].request('POST', '/api/v1/reservations', { token: await rootToken(apps[0].request), body: { patientId: 'p', serviceCode: '97153', units: 1 } });
    expect(root.status).toBe(403);
    const missing = await apps[0].request('POST', '/api/v1/reservations', { token: org.tokens.PRACTITIONER, body: { units: 1 } });
    expect(missing.status).toBe(400);
    expect(missing.body.code).toBe('VALIDATION_FAILED');
  });
});
