// Every business refusal of SPEC §4–5 end to end, through the HTTP API on a real database: the
// exact status, code and the extra fields SPEC (and src/shared/errors/business-errors.ts) name,
// and that a refusal changed nothing (counters, reservations, ledger). Then `?status=` filtering
// for each effective status against the rule in src/authorizations/authorization-rules.ts, and
// pagination that follows nextCursor to the end on every list route. Issue 12, point 3.
import { randomBytes } from 'node:crypto';
import { effectiveStatus, EFFECTIVE_STATUSES, EffectiveStatus } from '../src/authorizations/authorization-rules';
import { HttpResult } from './helpers/http';
import { checkIntegrity, INTACT } from './helpers/ledger-check';
import { TestApp } from './helpers/test-app';
import { createAuthorization, createOrg, dayOffset, OrgWorld, PASSWORD, rootToken, startAppWithOrg } from './helpers/world';

/** The whole body: SPEC §5's four fields plus exactly the extra ones named, nothing else. */
const expectRefusal = (res: HttpResult, status: number, code: string, extra: Record<string, unknown> = {}) => {
  const error = { 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict' }[status];
  expect({ status: res.status, body: res.body }).toEqual({ status, body: { statusCode: status, error, message: expect.any(String), code, ...extra } });
  expect(res.headers.get('idempotent-replayed')).toBeNull();
};

describe('every refusal end to end', () => {
  let t: TestApp;
  let org: OrgWorld;
  let root: string;

  beforeAll(async () => {
    ({ t, org } = await startAppWithOrg());
    root = await rootToken(t.request);
  });
  afterAll(() => t.close());

  const get = (path: string, token = org.tokens.VIEWER) => t.request('GET', path, { token });
  const reserve = (authId: string, body: Record<string, unknown>, token = org.tokens.PRACTITIONER) =>
    t.request('POST', `/api/v1/authorizations/${authId}/reservations`, { token, body });
  const act = (reservationId: string, action: 'consume' | 'release', body?: Record<string, unknown>) =>
    t.request('POST', `/api/v1/reservations/${reservationId}/${action}`, { token: org.tokens.PRACTITIONER, body });
  const patch = (authId: string, body: Record<string, unknown>) => t.request('PATCH', `/api/v1/authorizations/${authId}`, { token: org.tokens.ADMIN, body });
  const ledgerOf = async (authId: string) =>
    (await t.sql.query('select type, units from ledger_entries where authorization_id = $1 order by id', [authId])).rows.map((e) => `${e.type}:${e.units}`);
  /** Counters, reservations and ledger of one authorization: a refusal must leave all three as they were. */
  const state = async (authId: string) => ({
    authorization: (await t.sql.query('select status, total_units, used_units, scheduled_units, end_date::text, updated_at from authorizations where id = $1', [authId])).rows,
    reservations: (await t.sql.query('select id, status, units, consumed_units, updated_at from reservations where authorization_id = $1 order by id', [authId])).rows,
    ledger: await ledgerOf(authId),
  });
  const reserved = async (authId: string, units: number, extra: Record<string, unknown> = {}) => {
    const res = await reserve(authId, { units, ...extra });
    expect(res.status).toBe(201);
    return res.body.reservation.id as string;
  };

  afterEach(async () => expect(await checkIntegrity(t.sql)).toEqual(INTACT));

  describe('DELETE /authorizations/:id → 409 HAS_UNIT_ACTIVITY once any unit was ever reserved', () => {
    it('with units scheduled, after they were released, and after they were consumed: 409, the authorization and its history stay', async () => {
      const scheduled = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 10 });
      await reserved(scheduled.id, 3);
      const released = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 10 });
      expect((await act(await reserved(released.id, 4), 'release')).status).toBe(200);
      const consumed = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 10 });
      expect((await act(await reserved(consumed.id, 2), 'consume')).status).toBe(200);
      for (const auth of [scheduled, released, consumed]) {
        const before = await state(auth.id);
        const res = await t.request('DELETE', `/api/v1/authorizations/${auth.id}`, { token: org.tokens.ADMIN });
        expectRefusal(res, 409, 'HAS_UNIT_ACTIVITY');
        expect(await state(auth.id)).toEqual(before);
        expect((await get(`/api/v1/authorizations/${auth.id}`)).status).toBe(200);
      }
      expect(await ledgerOf(released.id)).toEqual(['RESERVE:4', 'RELEASE:4']);
    });

    it('positive control: an authorization on which nothing was ever reserved (even PATCHed, CANCELLED) is deleted, 204, then 404', async () => {
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 10 });
      expect((await patch(auth.id, { totalUnits: 12 })).status).toBe(200);
      expect((await patch(auth.id, { status: 'CANCELLED' })).status).toBe(200);
      const res = await t.request('DELETE', `/api/v1/authorizations/${auth.id}`, { token: org.tokens.ADMIN });
      expect({ status: res.status, text: res.text }).toEqual({ status: 204, text: '' });
      expectRefusal(await get(`/api/v1/authorizations/${auth.id}`), 404, 'NOT_FOUND');
      expect((await t.sql.query('select count(*)::int as n from authorizations where id = $1', [auth.id])).rows[0].n).toBe(0);
    });
  });

  describe('PATCH /authorizations/:id', () => {
    it('totalUnits below used + scheduled → 409 TOTAL_BELOW_ALLOCATED {allocatedUnits, requestedTotalUnits}, no ADJUST; exactly used + scheduled is accepted', async () => {
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 20 });
      expect((await act(await reserved(auth.id, 5), 'consume', { units: 3 })).status).toBe(200); // used 3
      await reserved(auth.id, 4); // scheduled 4
      const before = await state(auth.id);
      expectRefusal(await patch(auth.id, { totalUnits: 6 }), 409, 'TOTAL_BELOW_ALLOCATED', { allocatedUnits: 7, requestedTotalUnits: 6 });
      expectRefusal(await patch(auth.id, { totalUnits: 1, notes: 'not applied either' }), 409, 'TOTAL_BELOW_ALLOCATED', { allocatedUnits: 7, requestedTotalUnits: 1 });
      expect(await state(auth.id)).toEqual(before);
      const ok = await patch(auth.id, { totalUnits: 7 });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ totalUnits: 7, usedUnits: 3, scheduledUnits: 4, availableUnits: 0, status: 'EXHAUSTED' });
      expect(await ledgerOf(auth.id)).toEqual(['RESERVE:5', 'CONSUME:3', 'RELEASE:2', 'RESERVE:4', 'ADJUST:-13']);
    });

    it('status CANCELLED with units scheduled → 409 HAS_SCHEDULED_UNITS {scheduledUnits}; once released, CANCELLED is accepted', async () => {
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 20 });
      const a = await reserved(auth.id, 4);
      const b = await reserved(auth.id, 2);
      const before = await state(auth.id);
      expectRefusal(await patch(auth.id, { status: 'CANCELLED' }), 409, 'HAS_SCHEDULED_UNITS', { scheduledUnits: 6 });
      expectRefusal(await patch(auth.id, { status: 'CANCELLED', notes: 'not applied' }), 409, 'HAS_SCHEDULED_UNITS', { scheduledUnits: 6 });
      expect(await state(auth.id)).toEqual(before);
      expect((await act(a, 'release')).status).toBe(200);
      expectRefusal(await patch(auth.id, { status: 'CANCELLED' }), 409, 'HAS_SCHEDULED_UNITS', { scheduledUnits: 2 });
      expect((await act(b, 'consume')).status).toBe(200);
      const ok = await patch(auth.id, { status: 'CANCELLED' });
      expect(ok.status).toBe(200);
      expect(ok.body).toMatchObject({ status: 'CANCELLED', usedUnits: 2, scheduledUnits: 0 });
    });
  });

  describe('POST /authorizations/:id/reservations', () => {
    it.each(['PENDING', 'CANCELLED'] as const)('on a %s authorization → 409 AUTHORIZATION_NOT_ACTIVE {authorizationStatus}, nothing reserved', async (status) => {
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 10, ...(status === 'PENDING' ? { status } : {}) });
      if (status === 'CANCELLED') expect((await patch(auth.id, { status })).status).toBe(200);
      const before = await state(auth.id);
      expectRefusal(await reserve(auth.id, { units: 1 }), 409, 'AUTHORIZATION_NOT_ACTIVE', { authorizationStatus: status });
      expectRefusal(await reserve(auth.id, { units: 1 }, org.tokens.ADMIN), 409, 'AUTHORIZATION_NOT_ACTIVE', { authorizationStatus: status });
      expect(await state(auth.id)).toEqual(before);
      expect(before.ledger).toEqual([]);
      // Positive control: ACTIVE again, the same request is granted.
      expect((await patch(auth.id, { status: 'ACTIVE' })).status).toBe(200);
      expect((await reserve(auth.id, { units: 1 })).status).toBe(201);
    });

    it('a serviceDate one day before startDate or after endDate → 409 OUTSIDE_AUTHORIZATION_PERIOD {serviceDate, startDate, endDate}; both ends themselves are inside', async () => {
      const startDate = dayOffset(-3);
      const endDate = dayOffset(4);
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 10, startDate, endDate });
      for (const serviceDate of [dayOffset(-4), dayOffset(5), '2000-01-01', '2999-12-31']) {
        expectRefusal(await reserve(auth.id, { units: 1, serviceDate }), 409, 'OUTSIDE_AUTHORIZATION_PERIOD', { serviceDate, startDate, endDate });
      }
      expect(await ledgerOf(auth.id)).toEqual([]);
      for (const serviceDate of [startDate, endDate]) {
        const res = await reserve(auth.id, { units: 1, serviceDate });
        expect(res.status).toBe(201);
        expect(res.body.reservation).toMatchObject({ serviceDate, units: 1, status: 'SCHEDULED' });
      }
      expect(await ledgerOf(auth.id)).toEqual(['RESERVE:1', 'RESERVE:1']);
    });

    it('after endDate (EXPIRED): today is outside the period (409 OUTSIDE_AUTHORIZATION_PERIOD); a date inside it is still granted', async () => {
      const startDate = dayOffset(-10);
      const endDate = dayOffset(-1);
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 10, startDate, endDate });
      expect((await get(`/api/v1/authorizations/${auth.id}`)).body.status).toBe('EXPIRED');
      expectRefusal(await reserve(auth.id, { units: 1 }), 409, 'OUTSIDE_AUTHORIZATION_PERIOD', { serviceDate: dayOffset(0), startDate, endDate });
      expect((await reserve(auth.id, { units: 1, serviceDate: endDate })).status).toBe(201);
    });

    it('more units than available → 409 INSUFFICIENT_UNITS {availableUnits, requestedUnits}; exactly the available units are granted', async () => {
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 10 });
      await reserved(auth.id, 6);
      const before = await state(auth.id);
      expectRefusal(await reserve(auth.id, { units: 5 }), 409, 'INSUFFICIENT_UNITS', { availableUnits: 4, requestedUnits: 5 });
      expectRefusal(await reserve(auth.id, { units: 1_000_000 }), 409, 'INSUFFICIENT_UNITS', { availableUnits: 4, requestedUnits: 1_000_000 });
      expect(await state(auth.id)).toEqual(before);
      await reserved(auth.id, 4);
      expectRefusal(await reserve(auth.id, { units: 1 }), 409, 'INSUFFICIENT_UNITS', { availableUnits: 0, requestedUnits: 1 });
    });
  });

  describe('POST /reservations/:id/consume', () => {
    it('on a CANCELLED authorization → 409 AUTHORIZATION_NOT_ACTIVE {authorizationStatus: CANCELLED}, nothing consumed; release is still allowed', async () => {
      // The API cannot cancel with units scheduled (HAS_SCHEDULED_UNITS), so the state is made in
      // SQL, as an operator (or a migration from the replaced system) could leave it.
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 10 });
      const a = await reserved(auth.id, 3);
      const b = await reserved(auth.id, 2);
      await t.sql.query(`update authorizations set status = 'CANCELLED' where id = $1`, [auth.id]);
      const before = await state(auth.id);
      expectRefusal(await act(a, 'consume'), 409, 'AUTHORIZATION_NOT_ACTIVE', { authorizationStatus: 'CANCELLED' });
      expectRefusal(await act(a, 'consume', { units: 1 }), 409, 'AUTHORIZATION_NOT_ACTIVE', { authorizationStatus: 'CANCELLED' });
      expect(await state(auth.id)).toEqual(before);
      const released = await act(b, 'release');
      expect(released.status).toBe(200);
      expect(released.body.authorization).toMatchObject({ status: 'CANCELLED', scheduledUnits: 3, usedUnits: 0 });
      expect(await ledgerOf(auth.id)).toEqual(['RESERVE:3', 'RESERVE:2', 'RELEASE:2']);
    });

    it('on PENDING and EXPIRED authorizations consuming is allowed (sessions are documented after they happen)', async () => {
      const pending = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 10 });
      const p = await reserved(pending.id, 3);
      expect((await patch(pending.id, { status: 'PENDING' })).status).toBe(200);
      const consumedPending = await act(p, 'consume', { units: 2 });
      expect(consumedPending.status).toBe(200);
      expect(consumedPending.body.authorization).toMatchObject({ status: 'PENDING', usedUnits: 2, scheduledUnits: 0 });
      const expired = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 10, startDate: dayOffset(-9), endDate: dayOffset(-2) });
      const e = await reserved(expired.id, 4, { serviceDate: dayOffset(-3) });
      const consumedExpired = await act(e, 'consume');
      expect(consumedExpired.status).toBe(200);
      expect(consumedExpired.body.authorization).toMatchObject({ status: 'EXPIRED', usedUnits: 4, scheduledUnits: 0 });
    });

    it('a reservation no longer SCHEDULED → 409 RESERVATION_NOT_SCHEDULED {reservationStatus}, for consume and release', async () => {
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 10 });
      const released = await reserved(auth.id, 2);
      expect((await act(released, 'release')).status).toBe(200);
      const consumed = await reserved(auth.id, 3);
      expect((await act(consumed, 'consume', { units: 1 })).status).toBe(200);
      const before = await state(auth.id);
      for (const [id, status] of [[released, 'RELEASED'], [consumed, 'CONSUMED']]) {
        for (const action of ['consume', 'release'] as const) {
          expectRefusal(await act(id, action), 409, 'RESERVATION_NOT_SCHEDULED', { reservationStatus: status });
        }
      }
      expect(await state(auth.id)).toEqual(before);
    });

    it('more units than reserved → 400 VALIDATION_FAILED naming units, nothing consumed', async () => {
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 10 });
      const id = await reserved(auth.id, 3);
      const before = await state(auth.id);
      const res = await act(id, 'consume', { units: 4 });
      expect({ status: res.status, code: res.body.code, fields: res.body.fields.map((f: { field: string }) => f.field) }).toEqual({ status: 400, code: 'VALIDATION_FAILED', fields: ['units'] });
      expect(await state(auth.id)).toEqual(before);
    });
  });

  describe('POST /reservations/:id/release under every status of the authorization', () => {
    const cases: [string, EffectiveStatus][] = [
      ['ACTIVE', 'ACTIVE'],
      ['EXHAUSTED (and ACTIVE again after it)', 'EXHAUSTED'],
      ['PENDING', 'PENDING'],
      ['CANCELLED (set in SQL: the API refuses to cancel with units scheduled)', 'CANCELLED'],
      ['EXPIRED', 'EXPIRED'],
    ];
    it.each(cases)('%s', async (_name, status) => {
      const expired = status === 'EXPIRED';
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, {
        totalUnits: 10,
        ...(expired ? { startDate: dayOffset(-9), endDate: dayOffset(-2) } : {}),
      });
      const units = status === 'EXHAUSTED' ? 10 : 4;
      const id = await reserved(auth.id, units, expired ? { serviceDate: dayOffset(-5) } : {});
      if (status === 'PENDING') expect((await patch(auth.id, { status })).status).toBe(200);
      if (status === 'CANCELLED') await t.sql.query(`update authorizations set status = 'CANCELLED' where id = $1`, [auth.id]);
      expect((await get(`/api/v1/authorizations/${auth.id}`)).body.status).toBe(status);
      const res = await act(id, 'release');
      expect(res.status).toBe(200);
      expect(res.body.reservation).toMatchObject({ id, status: 'RELEASED', consumedUnits: 0 });
      const after = status === 'EXHAUSTED' ? 'ACTIVE' : status;
      expect(res.body.authorization).toMatchObject({ status: after, scheduledUnits: 0, usedUnits: 0, availableUnits: 10 });
      expect((await get(`/api/v1/authorizations/${auth.id}`)).body).toMatchObject({ status: after, availableUnits: 10 });
      expect(await ledgerOf(auth.id)).toEqual([`RESERVE:${units}`, `RELEASE:${units}`]);
    });
  });

  describe('GET /authorizations?status= for each effective status, against the rule in authorization-rules.ts', () => {
    let viewer: string;
    /** name → [authorization id, the status this fixture must have]. */
    const fixtures = new Map<string, { id: string; expected: EffectiveStatus }>();

    beforeAll(async () => {
      const own = await createOrg(t.request, root, `Status-${randomBytes(3).toString('hex')}`);
      viewer = own.tokens.VIEWER;
      const admin = own.tokens.ADMIN;
      const make = async (name: string, expected: EffectiveStatus, overrides: Record<string, unknown>, then?: (id: string) => Promise<void>) => {
        const auth = await createAuthorization(t.request, admin, { totalUnits: 5, ...overrides });
        if (then) await then(auth.id);
        fixtures.set(name, { id: auth.id, expected });
      };
      const reserveAll = (serviceDate?: string) => async (id: string) => {
        const res = await t.request('POST', `/api/v1/authorizations/${id}/reservations`, { token: admin, body: { units: 5, ...(serviceDate ? { serviceDate } : {}) } });
        expect(res.status).toBe(201);
      };
      const setStatus = (status: string) => async (id: string) => expect((await t.request('PATCH', `/api/v1/authorizations/${id}`, { token: admin, body: { status } })).status).toBe(200);
      await make('active', 'ACTIVE', {});
      await make('active, ending today', 'ACTIVE', { endDate: dayOffset(0) });
      await make('active, starting in the future', 'ACTIVE', { startDate: dayOffset(5), endDate: dayOffset(50) });
      await make('active, one unit left', 'ACTIVE', {}, async (id) => {
        expect((await t.request('POST', `/api/v1/authorizations/${id}/reservations`, { token: admin, body: { units: 4 } })).status).toBe(201);
      });
      await make('pending', 'PENDING', { status: 'PENDING' });
      await make('pending, ended', 'PENDING', { status: 'PENDING', startDate: dayOffset(-9), endDate: dayOffset(-1) });
      await make('cancelled', 'CANCELLED', {}, setStatus('CANCELLED'));
      await make('cancelled, ended', 'CANCELLED', { startDate: dayOffset(-9), endDate: dayOffset(-1) }, setStatus('CANCELLED'));
      await make('expired', 'EXPIRED', { startDate: dayOffset(-9), endDate: dayOffset(-1) });
      await make('expired and exhausted', 'EXPIRED', { startDate: dayOffset(-9), endDate: dayOffset(-1) }, reserveAll(dayOffset(-2)));
      await make('exhausted', 'EXHAUSTED', {}, reserveAll());
      await make('exhausted, ending today', 'EXHAUSTED', { endDate: dayOffset(0) }, reserveAll());
      await make('exhausted, set ACTIVE from PENDING', 'EXHAUSTED', { status: 'PENDING' }, async (id) => {
        await setStatus('ACTIVE')(id);
        await reserveAll()(id);
      });
    });

    const listAll = async (query: string, token: string, limit: number) => {
      const ids: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 100; page++) {
        const res: HttpResult = await t.request('GET', `/api/v1/authorizations?${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, { token });
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(limit);
        ids.push(...res.body.items.map((a: { id: string }) => a.id));
        cursor = res.body.nextCursor;
        if (cursor === null) return { ids, items: res.body.items };
      }
      throw new Error('nextCursor never ended');
    };

    it('the fixtures read back with the statuses the rule gives, computed from the stored row', async () => {
      const today = dayOffset(0);
      for (const [name, { id, expected }] of fixtures) {
        const { rows: [row] } = await t.sql.query(
          `select status, total_units as "totalUnits", used_units as "usedUnits", scheduled_units as "scheduledUnits", start_date::text as "startDate", end_date::text as "endDate" from authorizations where id = $1`,
          [id],
        );
        expect({ name, rule: effectiveStatus(row, today) }).toEqual({ name, rule: expected });
        expect({ name, read: (await t.request('GET', `/api/v1/authorizations/${id}`, { token: viewer })).body.status }).toEqual({ name, read: expected });
      }
    });

    it.each(EFFECTIVE_STATUSES)('?status=%s lists exactly the fixtures with that status (followed to the end, 2 per page), each saying so', async (status) => {
      const expected = [...fixtures.values()].filter((f) => f.expected === status).map((f) => f.id).sort();
      expect(expected.length).toBeGreaterThanOrEqual(2);
      const { ids } = await listAll(`status=${status}`, viewer, 2);
      expect(ids).toEqual(expected); // ids are time-ordered: creation order, no duplicate, no gap
      for (const id of ids) expect((await t.request('GET', `/api/v1/authorizations/${id}`, { token: viewer })).body.status).toBe(status);
    });

    it('the five filters partition the organization: every authorization in exactly one', async () => {
      const all = (await listAll('patientId=patient-1', viewer, 3)).ids;
      expect(all).toEqual([...fixtures.values()].map((f) => f.id).sort());
      const union: string[] = [];
      for (const status of EFFECTIVE_STATUSES) union.push(...(await listAll(`status=${status}`, viewer, 100)).ids);
      expect(union.sort()).toEqual(all);
    });
  });

  describe('pagination follows nextCursor to the end on every list route: exact item sets, no duplicates, no gaps', () => {
    /** Every page until nextCursor is null; each page at most `limit` items, the last page's nextCursor null. */
    const follow = async (path: string, token: string, limit: number) => {
      const items: any[] = [];
      const sizes: number[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 200; page++) {
        const sep = path.includes('?') ? '&' : '?';
        const res: HttpResult = await t.request('GET', `${path}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token });
        expect(res.status).toBe(200);
        expect(Object.keys(res.body).sort()).toEqual(['items', 'nextCursor']);
        items.push(...res.body.items);
        sizes.push(res.body.items.length);
        cursor = res.body.nextCursor;
        if (cursor === null) return { items, sizes };
        expect(res.body.items).toHaveLength(limit);
      }
      throw new Error(`${path}: nextCursor never ended`);
    };
    const pages = (n: number, limit: number) => [...Array(Math.floor(n / limit)).fill(limit), ...(n % limit ? [n % limit] : n === 0 ? [0] : [])];

    it('GET /authorizations: 7 of one organization (another organization’s are never listed), limits 1, 2, 3, 7, 100', async () => {
      const own = await createOrg(t.request, root);
      const other = await createOrg(t.request, root);
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        ids.push((await createAuthorization(t.request, own.tokens.ADMIN, { totalUnits: 5 })).id);
        await createAuthorization(t.request, other.tokens.ADMIN, { totalUnits: 5 });
      }
      for (const limit of [1, 2, 3, 7, 100]) {
        const { items, sizes } = await follow('/api/v1/authorizations', own.tokens.VIEWER, limit);
        expect(items.map((a) => a.id)).toEqual(ids);
        expect(sizes).toEqual(pages(7, limit));
      }
      // With a filter too: the 4 of patient-x among them.
      for (const id of [ids[1], ids[2], ids[4], ids[6]]) await t.sql.query(`update authorizations set patient_id = 'patient-x' where id = $1`, [id]);
      expect((await follow('/api/v1/authorizations?patientId=patient-x', own.tokens.VIEWER, 3)).items.map((a) => a.id)).toEqual([ids[1], ids[2], ids[4], ids[6]]);
    });

    it('GET /authorizations/:id/reservations: 9 (all, and ?status= each), limits 1, 2, 4, 100', async () => {
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 100 });
      const other = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 100 });
      const ids: string[] = [];
      for (let i = 0; i < 9; i++) {
        ids.push(await reserved(auth.id, 1 + i));
        await reserved(other.id, 1);
      }
      for (const i of [1, 4, 7]) expect((await act(ids[i], 'release')).status).toBe(200);
      for (const i of [2, 8]) expect((await act(ids[i], 'consume')).status).toBe(200);
      const byStatus: Record<string, string[]> = {
        SCHEDULED: [ids[0], ids[3], ids[5], ids[6]],
        RELEASED: [ids[1], ids[4], ids[7]],
        CONSUMED: [ids[2], ids[8]],
        EXPIRED: [],
      };
      for (const limit of [1, 2, 4, 100]) {
        const { items, sizes } = await follow(`/api/v1/authorizations/${auth.id}/reservations`, org.tokens.VIEWER, limit);
        expect(items.map((r) => r.id)).toEqual(ids);
        expect(sizes).toEqual(pages(9, limit));
        for (const [status, expected] of Object.entries(byStatus)) {
          const filtered = await follow(`/api/v1/authorizations/${auth.id}/reservations?status=${status}`, org.tokens.VIEWER, limit);
          expect({ status, limit, ids: filtered.items.map((r) => r.id) }).toEqual({ status, limit, ids: expected });
          expect(filtered.items.every((r) => r.status === status)).toBe(true);
        }
      }
    });

    it('GET /authorizations/:id/ledger: 19 entries oldest first, limits 1, 5, 19, 100', async () => {
      const auth = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 100 });
      const other = await createAuthorization(t.request, org.tokens.ADMIN, { totalUnits: 100 });
      for (let i = 0; i < 10; i++) {
        const id = await reserved(auth.id, 2);
        await reserved(other.id, 1);
        if (i % 3 === 0) expect((await act(id, 'consume', { units: 1 })).status).toBe(200); // CONSUME + RELEASE
      }
      expect((await patch(auth.id, { totalUnits: 90 })).status).toBe(200);
      const expected = (await t.sql.query('select id::text as id, type, units from ledger_entries where authorization_id = $1 order by ledger_entries.id', [auth.id])).rows;
      expect(expected).toHaveLength(19); // 10 RESERVE, 4 CONSUME, 4 RELEASE (the rest of those), 1 ADJUST
      for (const limit of [1, 5, 19, 100]) {
        const { items, sizes } = await follow(`/api/v1/authorizations/${auth.id}/ledger`, org.tokens.VIEWER, limit);
        expect(items.map((e) => `${e.id} ${e.type}:${e.units}`)).toEqual(expected.map((e) => `${e.id} ${e.type}:${e.units}`));
        expect(sizes).toEqual(pages(expected.length, limit));
      }
    });

    it('GET /users and GET /organizations are not paginated (SPEC §5: {items}): one answer holds exactly the whole set', async () => {
      const own = await createOrg(t.request, root);
      const emails: string[] = [];
      for (let i = 0; i < 4; i++) {
        const email = `list-${randomBytes(4).toString('hex')}@example.com`;
        expect((await t.request('POST', '/api/v1/users', { token: own.tokens.ADMIN, body: { email, password: PASSWORD, role: 'VIEWER' } })).status).toBe(201);
        emails.push(email);
      }
      const users = await t.request('GET', '/api/v1/users', { token: own.tokens.ADMIN });
      expect(users.status).toBe(200);
      expect(Object.keys(users.body)).toEqual(['items']);
      const expectedIds = (await t.sql.query('select id from users where organization_id = $1', [own.id])).rows.map((r) => r.id).sort();
      expect(users.body.items.map((u: { id: string }) => u.id).sort()).toEqual(expectedIds);
      expect(expectedIds).toHaveLength(3 + 4);
      const orgs = await t.request('GET', '/api/v1/organizations', { token: root });
      expect(Object.keys(orgs.body)).toEqual(['items']);
      const allOrgs = (await t.sql.query('select id from organizations')).rows.map((r) => r.id).sort();
      expect(orgs.body.items.map((o: { id: string }) => o.id).sort()).toEqual(allOrgs);
    });
  });
});
