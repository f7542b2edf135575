// SPEC §10 through the HTTP API, exact outcomes: authorizations made of lines (with modifiers), a
// pool shared by the lines, caps per DAY / WEEK / MONTH on a line or on the whole authorization,
// the organization's week start, the lines API, and the v1 shape still answering as before.
// Dates are the worked example's six months (2026-01-01..2026-06-30): a reservation needs the
// stored status ACTIVE and the service date within the period (SPEC §4), not "today".
import { randomBytes } from 'node:crypto';
import { HttpResult } from './helpers/http';
import { checkIntegrity, INTACT } from './helpers/ledger-check';
import { expectError, expectStatus } from './helpers/routes';
import { TestApp } from './helpers/test-app';
import { createOrg, OrgWorld, rootToken, startAppWithOrg } from './helpers/world';

let t: TestApp;
let org: OrgWorld;

beforeAll(async () => ({ t, org } = await startAppWithOrg()));
afterAll(() => t.close());

const PERIOD = { startDate: '2026-01-01', endDate: '2026-06-30' };

/** POST /authorizations with the body as given (plus patient, number and the six months). */
function post(body: Record<string, unknown>, token = org.tokens.ADMIN) {
  return t.request('POST', '/api/v1/authorizations', {
    token,
    body: { patientId: `patient-${randomBytes(3).toString('hex')}`, authNumber: `AUTH-${randomBytes(4).toString('hex')}`, ...PERIOD, ...body },
  });
}

async function create(body: Record<string, unknown>, token = org.tokens.ADMIN) {
  const res = await post(body, token);
  if (res.status !== 201) throw new Error(`create authorization → ${res.status} ${res.text}`);
  return res.body;
}

const reserve = (authId: string, body: Record<string, unknown>, token = org.tokens.PRACTITIONER) =>
  t.request('POST', `/api/v1/authorizations/${authId}/reservations`, { token, body });
const get = async (authId: string) => {
  const res = await t.request('GET', `/api/v1/authorizations/${authId}`, { token: org.tokens.VIEWER });
  expectStatus(res, 200);
  return res.body;
};
const ledger = async (authId: string) => {
  const res = await t.request('GET', `/api/v1/authorizations/${authId}/ledger?limit=100`, { token: org.tokens.VIEWER });
  expectStatus(res, 200);
  return res.body.items as Array<Record<string, any>>;
};
/** The line of a code in an authorization as the API shows it (the first, when modifiers tell lines of one code apart). */
const lineOf = (auth: { lines: any[] }, code: string): any => auth.lines.find((l) => l.serviceCode === code);

function expectValidation(res: HttpResult): void {
  expectError(res, 400, 'VALIDATION_FAILED');
  expect(res.body.fields).toEqual(expect.arrayContaining([expect.objectContaining({ field: expect.any(String), message: expect.any(String) })]));
}

function expectCapExceeded(res: HttpResult, bucket: { period: string; periodStart: string; periodEnd: string; capUnits: number; availableUnits: number; requestedUnits: number }): void {
  expectError(res, 409, 'PERIOD_CAP_EXCEEDED');
  expect(res.body).toMatchObject(bucket);
}

describe('1. creating: the v1 shape or lines, never both', () => {
  it('the worked example (97153 with a weekly cap, 97155-HO) → 201 with its lines, serviceCode null, totalUnits the sum', async () => {
    const res = await post({
      lines: [
        { serviceCode: '97153', totalUnits: 640, caps: [{ period: 'WEEK', units: 20 }] },
        { serviceCode: '97155', modifiers: ['HO'], totalUnits: 80 },
      ],
    });
    expectStatus(res, 201);
    expect(res.body).toMatchObject({
      serviceCode: null, totalUnits: 720, usedUnits: 0, scheduledUnits: 0, availableUnits: 720, poolUnits: null, caps: [], ...PERIOD,
    });
    expect(res.body.lines).toEqual(expect.arrayContaining([
      { id: expect.any(String), serviceCode: '97153', modifiers: [], totalUnits: 640, usedUnits: 0, scheduledUnits: 0, availableUnits: 640, caps: [{ period: 'WEEK', units: 20 }] },
      { id: expect.any(String), serviceCode: '97155', modifiers: ['HO'], totalUnits: 80, usedUnits: 0, scheduledUnits: 0, availableUnits: 80, caps: [] },
    ]));
    expect(res.body.lines).toHaveLength(2);
    expect(res.body.lines[0].id).not.toEqual(res.body.lines[1].id);
    // As stored, and as GET answers it.
    expect(await get(res.body.id)).toEqual({ ...res.body, status: expect.any(String) });
  });

  it('with poolUnits: totalUnits is the pool', async () => {
    const res = await post({
      lines: [{ serviceCode: '97153', totalUnits: 60 }, { serviceCode: '97155', totalUnits: 60 }],
      poolUnits: 80,
      caps: [{ period: 'MONTH', units: 50 }],
    });
    expectStatus(res, 201);
    expect(res.body).toMatchObject({ serviceCode: null, totalUnits: 80, poolUnits: 80, usedUnits: 0, scheduledUnits: 0, availableUnits: 80, caps: [{ period: 'MONTH', units: 50 }] });
    expect(res.body.lines.map((l: any) => `${l.serviceCode}:${l.totalUnits}`).sort()).toEqual(['97153:60', '97155:60']);
  });

  it('refusals are 400 VALIDATION_FAILED and create nothing', async () => {
    const { rows: [{ n: before }] } = await t.sql.query('select count(*)::int as n from authorizations');
    // both shapes
    expectValidation(await post({ serviceCode: '97153', totalUnits: 10, lines: [{ serviceCode: '97155', totalUnits: 10 }] }));
    expectValidation(await post({ serviceCode: '97153', lines: [{ serviceCode: '97155', totalUnits: 10 }] }));
    expectValidation(await post({ totalUnits: 10, lines: [{ serviceCode: '97155', totalUnits: 10 }] }));
    // neither
    expectValidation(await post({}));
    expectValidation(await post({ caps: [{ period: 'WEEK', units: 5 }] }));
    // two lines alike, modifier order notwithstanding
    expectValidation(await post({ lines: [{ serviceCode: '97153', totalUnits: 10 }, { serviceCode: '97153', totalUnits: 20 }] }));
    expectValidation(await post({ lines: [{ serviceCode: '97153', modifiers: ['HO', 'U1'], totalUnits: 10 }, { serviceCode: '97153', modifiers: ['U1', 'HO'], totalUnits: 20 }] }));
    // two caps with the same period: on the authorization, on a line, on the v1 shape
    expectValidation(await post({ lines: [{ serviceCode: '97153', totalUnits: 10 }], caps: [{ period: 'WEEK', units: 5 }, { period: 'WEEK', units: 6 }] }));
    expectValidation(await post({ lines: [{ serviceCode: '97153', totalUnits: 10, caps: [{ period: 'DAY', units: 5 }, { period: 'DAY', units: 6 }] }] }));
    expectValidation(await post({ serviceCode: '97153', totalUnits: 10, caps: [{ period: 'MONTH', units: 5 }, { period: 'MONTH', units: 5 }] }));
    // poolUnits without lines
    expectValidation(await post({ serviceCode: '97153', totalUnits: 10, poolUnits: 10 }));
    const { rows: [{ n: after }] } = await t.sql.query('select count(*)::int as n from authorizations');
    expect(after).toBe(before);
  });

  it('malformed lines, modifiers, caps and pools are 400 VALIDATION_FAILED', async () => {
    const line = { serviceCode: '97153', totalUnits: 10 };
    for (const body of [
      { lines: [] },
      { lines: Array.from({ length: 21 }, (_, i) => ({ serviceCode: `9${String(7000 + i)}`, totalUnits: 1 })) },
      { lines: [{ ...line, modifiers: ['ho'] }] },
      { lines: [{ ...line, modifiers: ['HOO'] }] },
      { lines: [{ ...line, modifiers: ['HO', 'HO'] }] },
      { lines: [{ ...line, modifiers: ['HO', 'U1', 'U2', 'U3', 'U4'] }] },
      { lines: [{ ...line, modifiers: 'HO' }] },
      { lines: [{ serviceCode: '97153' }] },
      { lines: [{ ...line, totalUnits: 0 }] },
      { lines: [{ ...line, caps: [{ period: 'YEAR', units: 5 }] }] },
      { lines: [{ ...line, caps: [{ period: 'WEEK', units: 0 }] }] },
      { lines: [{ ...line, unknown: 1 }] },
      { lines: [line], poolUnits: 0 },
      { lines: [line], poolUnits: 1_000_001 },
      { lines: [{ serviceCode: '97153', totalUnits: 600_000 }, { serviceCode: '97155', totalUnits: 600_000 }] },
      { serviceCode: '97153', totalUnits: 10, caps: [{ period: 'WEEK' }] },
    ]) {
      const res = await post(body);
      expect({ body, status: res.status, code: res.body?.code }).toEqual({ body, status: 400, code: 'VALIDATION_FAILED' });
    }
    // With a pool, lines may add up to more than 1,000,000.
    expectStatus(await post({ lines: [{ serviceCode: '97153', totalUnits: 600_000 }, { serviceCode: '97155', totalUnits: 600_000 }], poolUnits: 1_000_000 }), 201);
  });

  it('modifiers that differ make different lines (HO vs HO,U1 vs none)', async () => {
    const res = await post({
      lines: [
        { serviceCode: '97153', totalUnits: 10 },
        { serviceCode: '97153', modifiers: ['HO'], totalUnits: 10 },
        { serviceCode: '97153', modifiers: ['U1', 'HO'], totalUnits: 10 },
      ],
    });
    expectStatus(res, 201);
    expect(res.body.lines.map((l: any) => l.modifiers.join(',')).sort()).toEqual(['', 'HO', 'HO,U1']);
  });
});

describe('2. reserving on an authorization with several lines', () => {
  it('names the line: without serviceCode 400 LINE_REQUIRED, unknown code 409 NO_MATCHING_LINE, with it 201 on that line; the ledger names line and date', async () => {
    const auth = await create({ lines: [{ serviceCode: '97153', totalUnits: 40 }, { serviceCode: '97155', modifiers: ['HO'], totalUnits: 20 }] });
    expectError(await reserve(auth.id, { units: 2, serviceDate: '2026-03-04' }), 400, 'LINE_REQUIRED');
    expectError(await reserve(auth.id, { units: 2, serviceDate: '2026-03-04', serviceCode: '97156' }), 409, 'NO_MATCHING_LINE');
    expect(await ledger(auth.id)).toEqual([]);

    const res = await reserve(auth.id, { units: 2, serviceDate: '2026-03-04', serviceCode: '97155' });
    expectStatus(res, 201);
    const line = lineOf(auth, '97155');
    expect(res.body.reservation).toMatchObject({ lineId: line.id, units: 2, serviceDate: '2026-03-04', status: 'SCHEDULED' });
    expect(res.body.authorization).toMatchObject({ scheduledUnits: 2, availableUnits: 58 });
    expect(lineOf(res.body.authorization, '97155')).toMatchObject({ scheduledUnits: 2, availableUnits: 18 });
    expect(lineOf(res.body.authorization, '97153')).toMatchObject({ scheduledUnits: 0, availableUnits: 40 });
    // Named with its modifiers, in any order of them, also works.
    const withModifiers = await reserve(auth.id, { units: 1, serviceDate: '2026-03-05', serviceCode: '97155', modifiers: ['HO'] });
    expectStatus(withModifiers, 201);
    expect(withModifiers.body.reservation.lineId).toBe(line.id);

    expect(await ledger(auth.id)).toEqual([
      expect.objectContaining({ type: 'RESERVE', units: 2, reservationId: res.body.reservation.id, lineId: line.id, serviceDate: '2026-03-04' }),
      expect.objectContaining({ type: 'RESERVE', units: 1, reservationId: withModifiers.body.reservation.id, lineId: line.id, serviceDate: '2026-03-05' }),
    ]);
  });
});

describe('3. a weekly cap under concurrency', () => {
  it('WEEK cap 20, 10 concurrent reservations of 5 on one date → exactly 4 × 201, 6 × 409 PERIOD_CAP_EXCEEDED naming the week', async () => {
    const auth = await create({ serviceCode: '97153', totalUnits: 100, caps: [{ period: 'WEEK', units: 20 }] });
    const results = await Promise.all(Array.from({ length: 10 }, () => reserve(auth.id, { units: 5, serviceDate: '2026-03-04' })));
    const created = results.filter((r) => r.status === 201);
    const refused = results.filter((r) => r.status !== 201);
    expect(created).toHaveLength(4);
    expect(refused).toHaveLength(6);
    for (const r of refused) {
      expectCapExceeded(r, { period: 'WEEK', periodStart: '2026-03-02', periodEnd: '2026-03-08', capUnits: 20, availableUnits: 0, requestedUnits: 5 });
    }
    expect(await get(auth.id)).toMatchObject({ totalUnits: 100, usedUnits: 0, scheduledUnits: 20, availableUnits: 80 });
    // Every day of that week is full, the next week is not.
    expectCapExceeded(await reserve(auth.id, { units: 1, serviceDate: '2026-03-08' }), { period: 'WEEK', periodStart: '2026-03-02', periodEnd: '2026-03-08', capUnits: 20, availableUnits: 0, requestedUnits: 1 });
    expectStatus(await reserve(auth.id, { units: 5, serviceDate: '2026-03-09' }), 201);
    expect(await get(auth.id)).toMatchObject({ scheduledUnits: 25, availableUnits: 75 });
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });
});

describe('4. pool, lines and a line cap together under concurrency', () => {
  it('pool 80 over lines A 60 (WEEK cap 30) and B 60: 40 concurrent reservations of 5 → exactly 16 × 201, the pool full', async () => {
    const auth = await create({
      lines: [
        { serviceCode: '97153', totalUnits: 60, caps: [{ period: 'WEEK', units: 30 }] },
        { serviceCode: '97155', totalUnits: 60 },
      ],
      poolUnits: 80,
    });
    const codes = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? '97153' : '97155'));
    const results = await Promise.all(codes.map((serviceCode, i) => reserve(auth.id, { units: 5, serviceCode, serviceDate: i % 4 < 2 ? '2026-03-03' : '2026-03-06' })));
    const granted = (code: string) => results.filter((r, i) => codes[i] === code && r.status === 201).length;
    const a = granted('97153');
    const b = granted('97155');
    expect(a + b).toBe(16);
    expect(a).toBeLessThanOrEqual(6);
    expect(b).toBeLessThanOrEqual(12);
    for (const r of results.filter((x) => x.status !== 201)) {
      expect({ status: r.status, code: r.body?.code }).toEqual({ status: 409, code: expect.stringMatching(/^(INSUFFICIENT_UNITS|PERIOD_CAP_EXCEEDED)$/) });
      if (r.body.code === 'PERIOD_CAP_EXCEEDED') {
        expect(r.body).toMatchObject({ period: 'WEEK', periodStart: '2026-03-02', periodEnd: '2026-03-08', capUnits: 30, availableUnits: 0, requestedUnits: 5 });
      } else {
        expect(r.body).toMatchObject({ availableUnits: 0, requestedUnits: 5 });
      }
    }
    // Line B is never refused by a cap: it has none.
    results.forEach((r, i) => {
      if (codes[i] === '97155' && r.status !== 201) expect(r.body.code).toBe('INSUFFICIENT_UNITS');
    });
    const after = await get(auth.id);
    expect(after).toMatchObject({ totalUnits: 80, poolUnits: 80, usedUnits: 0, scheduledUnits: 80, availableUnits: 0 });
    expect(lineOf(after, '97153')).toMatchObject({ scheduledUnits: 5 * a, availableUnits: 60 - 5 * a });
    expect(lineOf(after, '97155')).toMatchObject({ scheduledUnits: 5 * b, availableUnits: 60 - 5 * b });
    const entries = await ledger(auth.id);
    expect(entries).toHaveLength(16);
    expect(entries.filter((e) => e.lineId === lineOf(after, '97153').id)).toHaveLength(a);
    expect(entries.filter((e) => e.lineId === lineOf(after, '97155').id)).toHaveLength(b);
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });
});

describe('5. weeks start on the organization\'s weekStartsOn', () => {
  it('WEEK cap 5: Sunday 2026-03-01 then Monday 2026-03-02 — two weeks for a MONDAY organization, one for a SUNDAY one', async () => {
    const root = await rootToken(t.request);
    const monday = await createOrg(t.request, root);
    const sunday = await createOrg(t.request, root);
    const patched = await t.request('PATCH', `/api/v1/organizations/${sunday.id}`, { token: sunday.tokens.ADMIN, body: { weekStartsOn: 'SUNDAY' } });
    expectStatus(patched, 200);
    expect(patched.body).toMatchObject({ weekStartsOn: 'SUNDAY' });

    const inMonday = await create({ serviceCode: '97153', totalUnits: 100, caps: [{ period: 'WEEK', units: 5 }] }, monday.tokens.ADMIN);
    expectStatus(await reserve(inMonday.id, { units: 5, serviceDate: '2026-03-01' }, monday.tokens.PRACTITIONER), 201);
    expectStatus(await reserve(inMonday.id, { units: 5, serviceDate: '2026-03-02' }, monday.tokens.PRACTITIONER), 201);
    expectCapExceeded(await reserve(inMonday.id, { units: 1, serviceDate: '2026-02-23' }, monday.tokens.PRACTITIONER), {
      period: 'WEEK', periodStart: '2026-02-23', periodEnd: '2026-03-01', capUnits: 5, availableUnits: 0, requestedUnits: 1,
    });

    const inSunday = await create({ serviceCode: '97153', totalUnits: 100, caps: [{ period: 'WEEK', units: 5 }] }, sunday.tokens.ADMIN);
    expectStatus(await reserve(inSunday.id, { units: 5, serviceDate: '2026-03-01' }, sunday.tokens.PRACTITIONER), 201);
    expectCapExceeded(await reserve(inSunday.id, { units: 5, serviceDate: '2026-03-02' }, sunday.tokens.PRACTITIONER), {
      period: 'WEEK', periodStart: '2026-03-01', periodEnd: '2026-03-07', capUnits: 5, availableUnits: 0, requestedUnits: 5,
    });
    // The Saturday before is another week for it.
    expectStatus(await reserve(inSunday.id, { units: 5, serviceDate: '2026-02-28' }, sunday.tokens.PRACTITIONER), 201);
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });
});

describe('6. months are calendar months', () => {
  it('MONTH cap 5: 2026-01-31 → 201, 2026-02-01 → 201, 2026-02-15 → 409 for February 1..28', async () => {
    const auth = await create({ serviceCode: '97153', totalUnits: 100, caps: [{ period: 'MONTH', units: 5 }] });
    expectStatus(await reserve(auth.id, { units: 5, serviceDate: '2026-01-31' }), 201);
    expectStatus(await reserve(auth.id, { units: 5, serviceDate: '2026-02-01' }), 201);
    expectCapExceeded(await reserve(auth.id, { units: 1, serviceDate: '2026-02-15' }), {
      period: 'MONTH', periodStart: '2026-02-01', periodEnd: '2026-02-28', capUnits: 5, availableUnits: 0, requestedUnits: 1,
    });
    expectStatus(await reserve(auth.id, { units: 5, serviceDate: '2026-03-01' }), 201);
    expect(await get(auth.id)).toMatchObject({ scheduledUnits: 15 });
  });
});

describe('7. a DAY cap on a line, under a WEEK cap on the authorization', () => {
  it('DAY cap 4: 3 then 2 on one day → 201 then 409 naming the day with 1 left', async () => {
    const auth = await create({ lines: [{ serviceCode: '97153', totalUnits: 100, caps: [{ period: 'DAY', units: 4 }] }], caps: [{ period: 'WEEK', units: 20 }] });
    expectStatus(await reserve(auth.id, { units: 3, serviceDate: '2026-03-04' }), 201);
    expectCapExceeded(await reserve(auth.id, { units: 2, serviceDate: '2026-03-04' }), {
      period: 'DAY', periodStart: '2026-03-04', periodEnd: '2026-03-04', capUnits: 4, availableUnits: 1, requestedUnits: 2,
    });
    expectStatus(await reserve(auth.id, { units: 1, serviceDate: '2026-03-04' }), 201);
    expectStatus(await reserve(auth.id, { units: 2, serviceDate: '2026-03-05' }), 201);
    expect(await get(auth.id)).toMatchObject({ scheduledUnits: 6 });
  });
});

describe('8. release and consume give units back to the bucket', () => {
  it('WEEK cap 10: reserve 10, release → 10 again; consume 4 of 10 → 6 back', async () => {
    const auth = await create({ serviceCode: '97153', totalUnits: 100, caps: [{ period: 'WEEK', units: 10 }] });
    const first = await reserve(auth.id, { units: 10, serviceDate: '2026-03-04' });
    expectStatus(first, 201);
    expectCapExceeded(await reserve(auth.id, { units: 1, serviceDate: '2026-03-05' }), {
      period: 'WEEK', periodStart: '2026-03-02', periodEnd: '2026-03-08', capUnits: 10, availableUnits: 0, requestedUnits: 1,
    });
    expectStatus(await t.request('POST', `/api/v1/reservations/${first.body.reservation.id}/release`, { token: org.tokens.PRACTITIONER }), 200);

    const second = await reserve(auth.id, { units: 10, serviceDate: '2026-03-05' });
    expectStatus(second, 201);
    const consumed = await t.request('POST', `/api/v1/reservations/${second.body.reservation.id}/consume`, { token: org.tokens.PRACTITIONER, body: { units: 4 } });
    expectStatus(consumed, 200);
    expect(consumed.body.authorization).toMatchObject({ usedUnits: 4, scheduledUnits: 0 });
    expectCapExceeded(await reserve(auth.id, { units: 7, serviceDate: '2026-03-06' }), {
      period: 'WEEK', periodStart: '2026-03-02', periodEnd: '2026-03-08', capUnits: 10, availableUnits: 6, requestedUnits: 7,
    });
    expectStatus(await reserve(auth.id, { units: 6, serviceDate: '2026-03-06' }), 201);
    expect(await get(auth.id)).toMatchObject({ usedUnits: 4, scheduledUnits: 6, availableUnits: 90 });
    const { rows } = await t.sql.query('select period_start::text, used_units, scheduled_units from cap_buckets where authorization_id = $1', [auth.id]);
    expect(rows).toEqual([{ period_start: '2026-03-02', used_units: 4, scheduled_units: 6 }]);
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });
});

describe('9. the lines API and PATCH totalUnits', () => {
  it('POST …/lines adds a line (ADJUST with its lineId); a duplicate is 400', async () => {
    const auth = await create({ lines: [{ serviceCode: '97153', totalUnits: 40 }, { serviceCode: '97155', modifiers: ['HO', 'U1'], totalUnits: 20 }] });
    const added = await t.request('POST', `/api/v1/authorizations/${auth.id}/lines`, {
      token: org.tokens.ADMIN, body: { serviceCode: '97156', totalUnits: 10, caps: [{ period: 'WEEK', units: 5 }] },
    });
    expectStatus(added, 201);
    expect(added.body).toMatchObject({ id: auth.id, serviceCode: null, totalUnits: 70, poolUnits: null, availableUnits: 70 });
    expect(added.body.lines).toHaveLength(3);
    const line = lineOf(added.body, '97156');
    expect(line).toEqual({ id: expect.any(String), serviceCode: '97156', modifiers: [], totalUnits: 10, usedUnits: 0, scheduledUnits: 0, availableUnits: 10, caps: [{ period: 'WEEK', units: 5 }] });
    expect(await ledger(auth.id)).toEqual([expect.objectContaining({ type: 'ADJUST', units: 10, lineId: line.id, reservationId: null, serviceDate: null, totalAfter: 70 })]);

    const duplicate = await t.request('POST', `/api/v1/authorizations/${auth.id}/lines`, { token: org.tokens.ADMIN, body: { serviceCode: '97155', modifiers: ['U1', 'HO'], totalUnits: 5 } });
    expectValidation(duplicate);
    expect(await get(auth.id)).toMatchObject({ totalUnits: 70 });
    expect((await get(auth.id)).lines).toHaveLength(3);
    expect(await ledger(auth.id)).toHaveLength(1);
  });

  it('PATCH …/lines/:lineId: a total below used+scheduled is 409 TOTAL_BELOW_ALLOCATED; a cap below a held week is 409 CAP_BELOW_HELD, nothing changed; raising works', async () => {
    const auth = await create({ lines: [{ serviceCode: '97153', totalUnits: 40, caps: [{ period: 'WEEK', units: 10 }] }, { serviceCode: '97155', totalUnits: 20 }] });
    const line = lineOf(auth, '97153');
    const path = `/api/v1/authorizations/${auth.id}/lines/${line.id}`;
    expectStatus(await reserve(auth.id, { units: 5, serviceCode: '97153', serviceDate: '2026-03-04' }), 201);

    expectError(await t.request('PATCH', path, { token: org.tokens.ADMIN, body: { totalUnits: 4 } }), 409, 'TOTAL_BELOW_ALLOCATED');
    const before = await get(auth.id);
    const bucketsBefore = (await t.sql.query('select * from cap_buckets where authorization_id = $1 order by period_start', [auth.id])).rows;
    const ledgerBefore = await ledger(auth.id);
    const lowered = await t.request('PATCH', path, { token: org.tokens.ADMIN, body: { caps: [{ period: 'WEEK', units: 3 }] } });
    expectError(lowered, 409, 'CAP_BELOW_HELD');
    expect(lowered.body).toMatchObject({ period: 'WEEK', capUnits: 3, heldUnits: 5, periodStart: '2026-03-02' });
    // a refused change of total and caps together changes neither
    expectError(await t.request('PATCH', path, { token: org.tokens.ADMIN, body: { totalUnits: 50, caps: [{ period: 'WEEK', units: 3 }] } }), 409, 'CAP_BELOW_HELD');
    expect(await get(auth.id)).toEqual(before);
    expect((await t.sql.query('select * from cap_buckets where authorization_id = $1 order by period_start', [auth.id])).rows).toEqual(bucketsBefore);
    expect(await ledger(auth.id)).toEqual(ledgerBefore);

    // Down to exactly what the week holds, then up again.
    const toFive = await t.request('PATCH', path, { token: org.tokens.ADMIN, body: { caps: [{ period: 'WEEK', units: 5 }] } });
    expectStatus(toFive, 200);
    expectCapExceeded(await reserve(auth.id, { units: 1, serviceCode: '97153', serviceDate: '2026-03-05' }), {
      period: 'WEEK', periodStart: '2026-03-02', periodEnd: '2026-03-08', capUnits: 5, availableUnits: 0, requestedUnits: 1,
    });
    const raised = await t.request('PATCH', path, { token: org.tokens.ADMIN, body: { totalUnits: 45, caps: [{ period: 'WEEK', units: 8 }] } });
    expectStatus(raised, 200);
    expect(raised.body).toMatchObject({ totalUnits: 65, poolUnits: null });
    expect(lineOf(raised.body, '97153')).toMatchObject({ totalUnits: 45, scheduledUnits: 5, availableUnits: 40, caps: [{ period: 'WEEK', units: 8 }] });
    expectStatus(await reserve(auth.id, { units: 3, serviceCode: '97153', serviceDate: '2026-03-05' }), 201);
    expectCapExceeded(await reserve(auth.id, { units: 1, serviceCode: '97153', serviceDate: '2026-03-06' }), {
      period: 'WEEK', periodStart: '2026-03-02', periodEnd: '2026-03-08', capUnits: 8, availableUnits: 0, requestedUnits: 1,
    });
    const adjusts = (await ledger(auth.id)).filter((e) => e.type === 'ADJUST');
    expect(adjusts).toEqual([expect.objectContaining({ units: 5, lineId: line.id, totalAfter: 65 })]);
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });

  it('PATCH totalUnits: 400 on two lines without pool; with a pool it changes the pool (ADJUST with lineId null)', async () => {
    const plain = await create({ lines: [{ serviceCode: '97153', totalUnits: 40 }, { serviceCode: '97155', totalUnits: 20 }] });
    expectValidation(await t.request('PATCH', `/api/v1/authorizations/${plain.id}`, { token: org.tokens.ADMIN, body: { totalUnits: 70 } }));
    expect(await get(plain.id)).toMatchObject({ totalUnits: 60 });
    expect(await ledger(plain.id)).toEqual([]);

    const pooled = await create({ lines: [{ serviceCode: '97153', totalUnits: 40 }, { serviceCode: '97155', totalUnits: 20 }], poolUnits: 50 });
    const patched = await t.request('PATCH', `/api/v1/authorizations/${pooled.id}`, { token: org.tokens.ADMIN, body: { totalUnits: 30 } });
    expectStatus(patched, 200);
    expect(patched.body).toMatchObject({ totalUnits: 30, poolUnits: 30, availableUnits: 30 });
    expect(patched.body.lines.map((l: any) => l.totalUnits).sort()).toEqual([20, 40]);
    expect(await ledger(pooled.id)).toEqual([expect.objectContaining({ type: 'ADJUST', units: -20, lineId: null, totalAfter: 30 })]);
    // the pool is the limit now
    expectStatus(await reserve(pooled.id, { units: 25, serviceCode: '97153', serviceDate: '2026-03-04' }), 201);
    const over = await reserve(pooled.id, { units: 10, serviceCode: '97155', serviceDate: '2026-03-04' });
    expectError(over, 409, 'INSUFFICIENT_UNITS');
    expect(over.body).toMatchObject({ availableUnits: 5, requestedUnits: 10 });
    expectError(await t.request('PATCH', `/api/v1/authorizations/${pooled.id}`, { token: org.tokens.ADMIN, body: { totalUnits: 24 } }), 409, 'TOTAL_BELOW_ALLOCATED');
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });

  it('a PRACTITIONER may not change lines or totals (403), and nothing changes', async () => {
    const auth = await create({ lines: [{ serviceCode: '97153', totalUnits: 40 }, { serviceCode: '97155', totalUnits: 20 }], poolUnits: 50 });
    const line = lineOf(auth, '97153');
    const token = org.tokens.PRACTITIONER;
    expectError(await t.request('POST', `/api/v1/authorizations/${auth.id}/lines`, { token, body: { serviceCode: '97156', totalUnits: 10 } }), 403, 'FORBIDDEN');
    expectError(await t.request('PATCH', `/api/v1/authorizations/${auth.id}/lines/${line.id}`, { token, body: { totalUnits: 10 } }), 403, 'FORBIDDEN');
    expectError(await t.request('PATCH', `/api/v1/authorizations/${auth.id}/lines/${line.id}`, { token, body: { caps: [{ period: 'DAY', units: 1 }] } }), 403, 'FORBIDDEN');
    expectError(await t.request('PATCH', `/api/v1/authorizations/${auth.id}`, { token, body: { totalUnits: 10 } }), 403, 'FORBIDDEN');
    expect(await get(auth.id)).toEqual({ ...auth, status: expect.any(String) });
    expect(await ledger(auth.id)).toEqual([]);
  });
});

describe('10. v1 compatibility', () => {
  it('an authorization created in the v1 shape reads as before, plus its one line', async () => {
    const auth = await create({ serviceCode: '97153', totalUnits: 50 });
    const read = await get(auth.id);
    expect(read).toMatchObject({ serviceCode: '97153', totalUnits: 50, usedUnits: 0, scheduledUnits: 0, availableUnits: 50, poolUnits: null, caps: [] });
    expect(read.lines).toEqual([{ id: expect.any(String), serviceCode: '97153', modifiers: [], totalUnits: 50, usedUnits: 0, scheduledUnits: 0, availableUnits: 50, caps: [] }]);
    // v1 operations need no line: reserve, consume, PATCH totalUnits (the line's total follows).
    const res = await reserve(auth.id, { units: 10, serviceDate: '2026-03-04' });
    expectStatus(res, 201);
    expect(res.body.reservation.lineId).toBe(read.lines[0].id);
    expectStatus(await t.request('POST', `/api/v1/reservations/${res.body.reservation.id}/consume`, { token: org.tokens.PRACTITIONER, body: { units: 6 } }), 200);
    const patched = await t.request('PATCH', `/api/v1/authorizations/${auth.id}`, { token: org.tokens.ADMIN, body: { totalUnits: 60 } });
    expectStatus(patched, 200);
    expect(patched.body).toMatchObject({ serviceCode: '97153', totalUnits: 60, usedUnits: 6, scheduledUnits: 0, availableUnits: 54 });
    expect(patched.body.lines).toEqual([expect.objectContaining({ id: read.lines[0].id, totalUnits: 60, usedUnits: 6, availableUnits: 54 })]);
    expect((await ledger(auth.id)).map((e) => `${e.type}:${e.units}:${e.lineId === read.lines[0].id}`)).toEqual(['RESERVE:10:true', 'CONSUME:6:true', 'RELEASE:4:true', 'ADJUST:10:true']);
    // listed by its code as before
    const listed = await t.request('GET', `/api/v1/authorizations?serviceCode=97153&patientId=${encodeURIComponent(auth.patientId)}`, { token: org.tokens.VIEWER });
    expectStatus(listed, 200);
    expect(listed.body.items.map((a: any) => a.id)).toEqual([auth.id]);
  });
});

describe('11. more of SPEC §10', () => {
  it("an authorization's cap counts all its lines together, under concurrency", async () => {
    const auth = await create({ lines: [{ serviceCode: '97153', totalUnits: 100 }, { serviceCode: '97155', totalUnits: 100 }], caps: [{ period: 'WEEK', units: 20 }] });
    const codes = Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? '97153' : '97155'));
    const results = await Promise.all(codes.map((serviceCode) => reserve(auth.id, { units: 5, serviceCode, serviceDate: '2026-03-04' })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(4);
    const refused = results.filter((r) => r.status !== 201);
    expect(refused).toHaveLength(6);
    for (const r of refused) expectCapExceeded(r, { period: 'WEEK', periodStart: '2026-03-02', periodEnd: '2026-03-08', capUnits: 20, availableUnits: 0, requestedUnits: 5 });
    const after = await get(auth.id);
    expect(after).toMatchObject({ scheduledUnits: 20, availableUnits: 180 });
    expect(lineOf(after, '97153').scheduledUnits + lineOf(after, '97155').scheduledUnits).toBe(20);
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });

  it('the tightest cap is named: an authorization WEEK cap of 6 under a line DAY cap of 10', async () => {
    const auth = await create({ lines: [{ serviceCode: '97153', totalUnits: 100, caps: [{ period: 'DAY', units: 10 }] }], caps: [{ period: 'WEEK', units: 6 }] });
    expectStatus(await reserve(auth.id, { units: 4, serviceDate: '2026-03-04' }), 201);
    expectCapExceeded(await reserve(auth.id, { units: 3, serviceDate: '2026-03-04' }), {
      period: 'WEEK', periodStart: '2026-03-02', periodEnd: '2026-03-08', capUnits: 6, availableUnits: 2, requestedUnits: 3,
    });
  });

  it('availability is the tightest of pool and lines: a pool above the lines, and a line limited by the pool', async () => {
    const wide = await create({ lines: [{ serviceCode: '97153', totalUnits: 60 }, { serviceCode: '97155', totalUnits: 60 }], poolUnits: 200 });
    expect(wide).toMatchObject({ totalUnits: 200, poolUnits: 200, availableUnits: 120 });
    const over = await reserve(wide.id, { units: 61, serviceCode: '97153', serviceDate: '2026-03-04' });
    expectError(over, 409, 'INSUFFICIENT_UNITS');
    expect(over.body).toMatchObject({ availableUnits: 60, requestedUnits: 61 });

    const narrow = await create({ lines: [{ serviceCode: '97153', totalUnits: 60 }, { serviceCode: '97155', totalUnits: 60 }], poolUnits: 80 });
    expectStatus(await reserve(narrow.id, { units: 40, serviceCode: '97155', serviceDate: '2026-03-04' }), 201);
    const short = await reserve(narrow.id, { units: 45, serviceCode: '97153', serviceDate: '2026-03-04' });
    expectError(short, 409, 'INSUFFICIENT_UNITS');
    expect(short.body).toMatchObject({ availableUnits: 40, requestedUnits: 45 });
    const after = await get(narrow.id);
    expect(after).toMatchObject({ availableUnits: 40 });
    expect(lineOf(after, '97153')).toMatchObject({ availableUnits: 60 });
  });

  it('two lines of one code: modifiers decide (without them 400 LINE_REQUIRED; unknown ones 409 NO_MATCHING_LINE)', async () => {
    const auth = await create({ lines: [{ serviceCode: '97153', totalUnits: 10 }, { serviceCode: '97153', modifiers: ['HO'], totalUnits: 10 }] });
    expectError(await reserve(auth.id, { units: 1, serviceCode: '97153', serviceDate: '2026-03-04' }), 400, 'LINE_REQUIRED');
    expectError(await reserve(auth.id, { units: 1, serviceCode: '97153', modifiers: ['U1'], serviceDate: '2026-03-04' }), 409, 'NO_MATCHING_LINE');
    const plain = auth.lines.find((l: any) => l.modifiers.length === 0);
    const ho = auth.lines.find((l: any) => l.modifiers.length === 1);
    const a = await reserve(auth.id, { units: 1, serviceCode: '97153', modifiers: [], serviceDate: '2026-03-04' });
    const b = await reserve(auth.id, { units: 2, serviceCode: '97153', modifiers: ['HO'], serviceDate: '2026-03-04' });
    expectStatus(a, 201);
    expectStatus(b, 201);
    expect([a.body.reservation.lineId, b.body.reservation.lineId]).toEqual([plain.id, ho.id]);
  });

  it('release and consume entries in the ledger name the line and the service date too', async () => {
    const auth = await create({ lines: [{ serviceCode: '97153', totalUnits: 40 }, { serviceCode: '97155', totalUnits: 20 }] });
    const line = lineOf(auth, '97155');
    const one = await reserve(auth.id, { units: 4, serviceCode: '97155', serviceDate: '2026-03-04' });
    const two = await reserve(auth.id, { units: 6, serviceCode: '97155', serviceDate: '2026-04-01' });
    expectStatus(await t.request('POST', `/api/v1/reservations/${one.body.reservation.id}/release`, { token: org.tokens.PRACTITIONER }), 200);
    expectStatus(await t.request('POST', `/api/v1/reservations/${two.body.reservation.id}/consume`, { token: org.tokens.PRACTITIONER, body: { units: 5 } }), 200);
    expect((await ledger(auth.id)).map((e) => [e.type, e.units, e.lineId === line.id, e.serviceDate])).toEqual([
      ['RESERVE', 4, true, '2026-03-04'],
      ['RESERVE', 6, true, '2026-04-01'],
      ['RELEASE', 4, true, '2026-03-04'],
      ['CONSUME', 5, true, '2026-04-01'],
      ['RELEASE', 1, true, '2026-04-01'],
    ]);
    expect(lineOf(await get(auth.id), '97155')).toMatchObject({ usedUnits: 5, scheduledUnits: 0, availableUnits: 15 });
  });

  it('a cap added to a line that already holds units: 409 CAP_BELOW_HELD when a period holds more, else its buckets start with what is held', async () => {
    const auth = await create({ lines: [{ serviceCode: '97153', totalUnits: 100 }, { serviceCode: '97155', totalUnits: 100 }] });
    const line = lineOf(auth, '97153');
    const path = `/api/v1/authorizations/${auth.id}/lines/${line.id}`;
    expectStatus(await reserve(auth.id, { units: 5, serviceCode: '97153', serviceDate: '2026-03-04' }), 201);
    expectStatus(await reserve(auth.id, { units: 3, serviceCode: '97153', serviceDate: '2026-03-20' }), 201);
    expectStatus(await reserve(auth.id, { units: 9, serviceCode: '97155', serviceDate: '2026-03-04' }), 201); // another line: not counted
    const refused = await t.request('PATCH', path, { token: org.tokens.ADMIN, body: { caps: [{ period: 'WEEK', units: 4 }] } });
    expectError(refused, 409, 'CAP_BELOW_HELD');
    expect(refused.body).toMatchObject({ period: 'WEEK', capUnits: 4, heldUnits: 5, periodStart: '2026-03-02' });
    expect(lineOf(await get(auth.id), '97153').caps).toEqual([]);
    expect((await t.sql.query('select count(*)::int as n from cap_buckets where authorization_id = $1', [auth.id])).rows[0].n).toBe(0);

    const added = await t.request('PATCH', path, { token: org.tokens.ADMIN, body: { caps: [{ period: 'MONTH', units: 10 }, { period: 'WEEK', units: 5 }] } });
    expectStatus(added, 200);
    expect(lineOf(added.body, '97153').caps).toEqual(expect.arrayContaining([{ period: 'MONTH', units: 10 }, { period: 'WEEK', units: 5 }]));
    expectCapExceeded(await reserve(auth.id, { units: 3, serviceCode: '97153', serviceDate: '2026-03-27' }), {
      period: 'MONTH', periodStart: '2026-03-01', periodEnd: '2026-03-31', capUnits: 10, availableUnits: 2, requestedUnits: 3,
    });
    expectStatus(await reserve(auth.id, { units: 9, serviceCode: '97155', serviceDate: '2026-03-27' }), 201);
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);

    // Removing the caps lifts them.
    const removed = await t.request('PATCH', path, { token: org.tokens.ADMIN, body: { caps: [] } });
    expectStatus(removed, 200);
    expect(lineOf(removed.body, '97153').caps).toEqual([]);
    expectStatus(await reserve(auth.id, { units: 3, serviceCode: '97153', serviceDate: '2026-03-27' }), 201);
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });

  it("PATCH /authorizations/:id {caps} replaces the authorization's own caps (CAP_BELOW_HELD when a period holds more)", async () => {
    const auth = await create({ lines: [{ serviceCode: '97153', totalUnits: 100 }, { serviceCode: '97155', totalUnits: 100 }], caps: [{ period: 'WEEK', units: 20 }] });
    expectStatus(await reserve(auth.id, { units: 6, serviceCode: '97153', serviceDate: '2026-03-04' }), 201);
    expectStatus(await reserve(auth.id, { units: 6, serviceCode: '97155', serviceDate: '2026-03-05' }), 201);
    const refused = await t.request('PATCH', `/api/v1/authorizations/${auth.id}`, { token: org.tokens.ADMIN, body: { caps: [{ period: 'WEEK', units: 11 }] } });
    expectError(refused, 409, 'CAP_BELOW_HELD');
    expect(refused.body).toMatchObject({ period: 'WEEK', capUnits: 11, heldUnits: 12, periodStart: '2026-03-02' });
    expect((await get(auth.id)).caps).toEqual([{ period: 'WEEK', units: 20 }]);
    const lowered = await t.request('PATCH', `/api/v1/authorizations/${auth.id}`, { token: org.tokens.ADMIN, body: { caps: [{ period: 'WEEK', units: 12 }] } });
    expectStatus(lowered, 200);
    expect(lowered.body.caps).toEqual([{ period: 'WEEK', units: 12 }]);
    expectCapExceeded(await reserve(auth.id, { units: 1, serviceCode: '97155', serviceDate: '2026-03-08' }), {
      period: 'WEEK', periodStart: '2026-03-02', periodEnd: '2026-03-08', capUnits: 12, availableUnits: 0, requestedUnits: 1,
    });
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });

  it('consumed units count as held when a cap is lowered; replacing the authorization\'s caps leaves the lines\' caps alone', async () => {
    const auth = await create({ lines: [{ serviceCode: '97153', totalUnits: 100, caps: [{ period: 'DAY', units: 8 }] }], caps: [{ period: 'WEEK', units: 10 }] });
    const line = auth.lines[0];
    const r = await reserve(auth.id, { units: 6, serviceDate: '2026-03-04' });
    expectStatus(await t.request('POST', `/api/v1/reservations/${r.body.reservation.id}/consume`, { token: org.tokens.PRACTITIONER }), 200);
    const refused = await t.request('PATCH', `/api/v1/authorizations/${auth.id}`, { token: org.tokens.ADMIN, body: { caps: [{ period: 'WEEK', units: 5 }] } });
    expectError(refused, 409, 'CAP_BELOW_HELD');
    expect(refused.body).toMatchObject({ period: 'WEEK', capUnits: 5, heldUnits: 6, periodStart: '2026-03-02' });
    const lineRefused = await t.request('PATCH', `/api/v1/authorizations/${auth.id}/lines/${line.id}`, { token: org.tokens.ADMIN, body: { caps: [{ period: 'DAY', units: 5 }] } });
    expectError(lineRefused, 409, 'CAP_BELOW_HELD');
    expect(lineRefused.body).toMatchObject({ period: 'DAY', capUnits: 5, heldUnits: 6, periodStart: '2026-03-04' });

    const cleared = await t.request('PATCH', `/api/v1/authorizations/${auth.id}`, { token: org.tokens.ADMIN, body: { caps: [] } });
    expectStatus(cleared, 200);
    expect(cleared.body.caps).toEqual([]);
    expect(cleared.body.lines[0].caps).toEqual([{ period: 'DAY', units: 8 }]);
    expectCapExceeded(await reserve(auth.id, { units: 3, serviceDate: '2026-03-04' }), {
      period: 'DAY', periodStart: '2026-03-04', periodEnd: '2026-03-04', capUnits: 8, availableUnits: 2, requestedUnits: 3,
    });
    expectStatus(await reserve(auth.id, { units: 8, serviceDate: '2026-03-05' }), 201);
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });

  it('POST …/lines on a v1 authorization: serviceCode becomes null and a reservation must name its line; on a pooled one totalUnits stays the pool', async () => {
    const v1 = await create({ serviceCode: '97153', totalUnits: 50 });
    expectStatus(await reserve(v1.id, { units: 7, serviceDate: '2026-03-04' }), 201);
    const grown = await t.request('PATCH', `/api/v1/authorizations/${v1.id}/lines/${v1.lines[0].id}`, { token: org.tokens.ADMIN, body: { totalUnits: 55 } });
    expectStatus(grown, 200);
    expect(grown.body).toMatchObject({ totalUnits: 55, availableUnits: 48, lines: [expect.objectContaining({ totalUnits: 55, scheduledUnits: 7, availableUnits: 48 })] });
    const added = await t.request('POST', `/api/v1/authorizations/${v1.id}/lines`, { token: org.tokens.ADMIN, body: { serviceCode: '97155', modifiers: ['HO'], totalUnits: 10 } });
    expectStatus(added, 201);
    expect(added.body).toMatchObject({ serviceCode: null, totalUnits: 65, scheduledUnits: 7, availableUnits: 58, poolUnits: null });
    // The first line was a sole line (its units counted on the authorization): it now counts them itself.
    expect(added.body.lines.map((l: any) => [l.serviceCode, l.scheduledUnits, l.availableUnits])).toEqual([['97153', 7, 48], ['97155', 0, 10]]);
    const stored = await t.sql.query('select l.service_code, l.sole_of, l.scheduled_units, a.sole_line_id from authorization_lines l join authorizations a on a.id = l.authorization_id where a.id = $1 order by l.id', [v1.id]);
    expect(stored.rows).toEqual([
      { service_code: '97153', sole_of: null, scheduled_units: 7, sole_line_id: null },
      { service_code: '97155', sole_of: null, scheduled_units: 0, sole_line_id: null },
    ]);
    expectError(await reserve(v1.id, { units: 1, serviceDate: '2026-03-04' }), 400, 'LINE_REQUIRED');
    expectStatus(await reserve(v1.id, { units: 1, serviceDate: '2026-03-04', serviceCode: '97153' }), 201);
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
    // PATCH totalUnits is now refused: two lines, no pool.
    expectValidation(await t.request('PATCH', `/api/v1/authorizations/${v1.id}`, { token: org.tokens.ADMIN, body: { totalUnits: 75 } }));

    const pooled = await create({ lines: [{ serviceCode: '97153', totalUnits: 40 }], poolUnits: 30 });
    const more = await t.request('POST', `/api/v1/authorizations/${pooled.id}/lines`, { token: org.tokens.ADMIN, body: { serviceCode: '97155', totalUnits: 40 } });
    expectStatus(more, 201);
    expect(more.body).toMatchObject({ totalUnits: 30, poolUnits: 30, availableUnits: 30 });
    const adjust = (await ledger(pooled.id)).filter((e) => e.type === 'ADJUST');
    expect(adjust).toEqual([expect.objectContaining({ units: 40, lineId: lineOf(more.body, '97155').id, totalAfter: 30 })]);
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });

  it("another organization's authorization and an unknown line are 404 on the lines routes", async () => {
    const other = await createOrg(t.request, await rootToken(t.request));
    const theirs = await create({ lines: [{ serviceCode: '97153', totalUnits: 40 }] }, other.tokens.ADMIN);
    expectError(await t.request('POST', `/api/v1/authorizations/${theirs.id}/lines`, { token: org.tokens.ADMIN, body: { serviceCode: '97155', totalUnits: 10 } }), 404, 'NOT_FOUND');
    expectError(await t.request('PATCH', `/api/v1/authorizations/${theirs.id}/lines/${theirs.lines[0].id}`, { token: org.tokens.ADMIN, body: { totalUnits: 10 } }), 404, 'NOT_FOUND');
    const mine = await create({ lines: [{ serviceCode: '97153', totalUnits: 40 }] });
    // a line of another authorization, named under mine
    expectError(await t.request('PATCH', `/api/v1/authorizations/${mine.id}/lines/${theirs.lines[0].id}`, { token: org.tokens.ADMIN, body: { totalUnits: 10 } }), 404, 'NOT_FOUND');
    expect(await get(mine.id)).toEqual({ ...mine, status: expect.any(String) });
    expect((await t.request('GET', `/api/v1/authorizations/${theirs.id}`, { token: other.tokens.VIEWER })).body).toEqual({ ...theirs, status: expect.any(String) });
  });

  it('weekStartsOn may not change while the organization holds scheduled units on a weekly cap (409 HAS_SCHEDULED_UNITS)', async () => {
    const other = await createOrg(t.request, await rootToken(t.request));
    const auth = await create({ serviceCode: '97153', totalUnits: 100, caps: [{ period: 'WEEK', units: 10 }] }, other.tokens.ADMIN);
    const held = await reserve(auth.id, { units: 5, serviceDate: '2026-03-01' }, other.tokens.PRACTITIONER);
    expectStatus(held, 201);
    expectError(await t.request('PATCH', `/api/v1/organizations/${other.id}`, { token: other.tokens.ADMIN, body: { weekStartsOn: 'SUNDAY' } }), 409, 'HAS_SCHEDULED_UNITS');
    expectStatus(await t.request('POST', `/api/v1/reservations/${held.body.reservation.id}/release`, { token: other.tokens.PRACTITIONER }), 200);
    const patched = await t.request('PATCH', `/api/v1/organizations/${other.id}`, { token: other.tokens.ADMIN, body: { weekStartsOn: 'SUNDAY' } });
    expectStatus(patched, 200);
    // Now Sunday 2026-03-01 and Monday 2026-03-02 share a week.
    expectStatus(await reserve(auth.id, { units: 10, serviceDate: '2026-03-01' }, other.tokens.PRACTITIONER), 201);
    expectCapExceeded(await reserve(auth.id, { units: 1, serviceDate: '2026-03-02' }, other.tokens.PRACTITIONER), {
      period: 'WEEK', periodStart: '2026-03-01', periodEnd: '2026-03-07', capUnits: 10, availableUnits: 0, requestedUnits: 1,
    });
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });
});

describe('12. organization week start, idempotency and races', () => {
  const consume = (id: string, token: string, units?: number) =>
    t.request('POST', `/api/v1/reservations/${id}/consume`, { token, body: units === undefined ? {} : { units } });

  it('changing weekStartsOn regroups CONSUMED units: 409 CAP_BELOW_HELD when a regrouped week would exceed its cap, else the buckets are rebuilt', async () => {
    const root = await rootToken(t.request);
    for (const [first, second, expected] of [[5, 5, 409], [3, 2, 200]] as const) {
      const other = await createOrg(t.request, root);
      const auth = await create({ serviceCode: '97153', totalUnits: 100, caps: [{ period: 'WEEK', units: 5 }] }, other.tokens.ADMIN);
      const sun = await reserve(auth.id, { units: first, serviceDate: '2026-03-01' }, other.tokens.PRACTITIONER);
      const mon = await reserve(auth.id, { units: second, serviceDate: '2026-03-02' }, other.tokens.PRACTITIONER);
      expectStatus(await consume(sun.body.reservation.id, other.tokens.PRACTITIONER), 200);
      expectStatus(await consume(mon.body.reservation.id, other.tokens.PRACTITIONER), 200);
      const patched = await t.request('PATCH', `/api/v1/organizations/${other.id}`, { token: other.tokens.ADMIN, body: { weekStartsOn: 'SUNDAY' } });
      if (expected === 409) {
        expectError(patched, 409, 'CAP_BELOW_HELD');
        expect(patched.body).toMatchObject({ period: 'WEEK', capUnits: 5, heldUnits: 10, periodStart: '2026-03-01' });
        expect((await t.request('GET', `/api/v1/organizations/${other.id}`, { token: other.tokens.ADMIN })).body).toMatchObject({ weekStartsOn: 'MONDAY' });
      } else {
        expectStatus(patched, 200);
        const { rows } = await t.sql.query('select period_start::text, used_units, scheduled_units from cap_buckets where authorization_id = $1 order by period_start', [auth.id]);
        expect(rows.filter((r) => r.used_units + r.scheduled_units > 0)).toEqual([{ period_start: '2026-03-01', used_units: 5, scheduled_units: 0 }]);
        expectCapExceeded(await reserve(auth.id, { units: 1, serviceDate: '2026-03-07' }, other.tokens.PRACTITIONER), {
          period: 'WEEK', periodStart: '2026-03-01', periodEnd: '2026-03-07', capUnits: 5, availableUnits: 0, requestedUnits: 1,
        });
      }
      expect(await checkIntegrity(t.sql)).toEqual(INTACT);
    }
  });

  it('PATCH weekStartsOn racing reservations on a weekly cap: every bucket stays the week of its organization (integrity), outcomes consistent', async () => {
    const root = await rootToken(t.request);
    const orgs = await Promise.all(Array.from({ length: 6 }, () => createOrg(t.request, root)));
    const rounds = await Promise.all(orgs.map(async (o) => {
      const auth = await create({ serviceCode: '97153', totalUnits: 100, caps: [{ period: 'WEEK', units: 5 }] }, o.tokens.ADMIN);
      const [patch, sun, mon] = await Promise.all([
        t.request('PATCH', `/api/v1/organizations/${o.id}`, { token: o.tokens.ADMIN, body: { weekStartsOn: 'SUNDAY' } }),
        reserve(auth.id, { units: 5, serviceDate: '2026-03-01' }, o.tokens.PRACTITIONER),
        reserve(auth.id, { units: 5, serviceDate: '2026-03-02' }, o.tokens.PRACTITIONER),
      ]);
      return { patch, sun, mon };
    }));
    for (const { patch, sun, mon } of rounds) {
      expect([200, 409]).toContain(patch.status);
      if (patch.status === 409) expect(patch.body.code).toBe('HAS_SCHEDULED_UNITS');
      const created = [sun, mon].filter((r) => r.status === 201).length;
      // Weeks from Sunday: 03-01 and 03-02 share a cap of 5 → one of them; from Monday: both.
      // A PATCH that won did so before both reservations (it is refused once either holds units).
      if (patch.status === 200) expect(created).toBe(1);
      else expect(created).toBe(2);
      for (const r of [sun, mon].filter((x) => x.status !== 201)) {
        expectCapExceeded(r, { period: 'WEEK', periodStart: '2026-03-01', periodEnd: '2026-03-07', capUnits: 5, availableUnits: 0, requestedUnits: 5 });
      }
    }
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });

  it('POST …/lines accepts an Idempotency-Key: a repeat replays the 201 and adds the line once (SPEC §4: every POST that changes state)', async () => {
    const auth = await create({ lines: [{ serviceCode: '97153', totalUnits: 40 }] });
    const send = () => t.request('POST', `/api/v1/authorizations/${auth.id}/lines`, {
      token: org.tokens.ADMIN, body: { serviceCode: '97155', totalUnits: 10 }, headers: { 'Idempotency-Key': `line-${auth.id}` },
    });
    const first = await send();
    expectStatus(first, 201);
    const again = await send();
    expect({ status: again.status, replayed: again.headers.get('idempotent-replayed'), body: again.body }).toEqual({ status: 201, replayed: 'true', body: first.body });
    expect((await get(auth.id)).lines).toHaveLength(2);
    expect((await ledger(auth.id)).filter((e) => e.type === 'ADJUST')).toHaveLength(1);
  });

  it('a line cap lowered while reservations race: never more held than the cap that won (integrity), refusals exact', async () => {
    const auth = await create({ lines: [{ serviceCode: '97153', totalUnits: 100, caps: [{ period: 'WEEK', units: 50 }] }] });
    const line = auth.lines[0];
    const [lowered, ...results] = await Promise.all([
      t.request('PATCH', `/api/v1/authorizations/${auth.id}/lines/${line.id}`, { token: org.tokens.ADMIN, body: { caps: [{ period: 'WEEK', units: 20 }] } }),
      ...Array.from({ length: 10 }, () => reserve(auth.id, { units: 5, serviceDate: '2026-03-04' })),
    ]);
    const granted = results.filter((r) => r.status === 201).length;
    if (lowered.status === 200) {
      // at most 20 were held when the cap of 20 committed; reservations after it fill it to exactly 20
      expect(granted).toBe(4);
    } else {
      // more than 20 were held when it was decided: the cap stays 50, which all ten fit
      expectError(lowered, 409, 'CAP_BELOW_HELD');
      expect(granted).toBe(10);
      expect(lineOf(await get(auth.id), '97153').caps).toEqual([{ period: 'WEEK', units: 50 }]);
    }
    for (const r of results.filter((x) => x.status !== 201)) {
      expectCapExceeded(r, { period: 'WEEK', periodStart: '2026-03-02', periodEnd: '2026-03-08', capUnits: 20, availableUnits: 0, requestedUnits: 5 });
    }
    expect(await get(auth.id)).toMatchObject({ scheduledUnits: 5 * granted });
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });
});

describe('13. lines and totals changed while units move', () => {
  it("a line's total lowered while 10 reservations of 5 race: 200 → exactly 6 granted (30); 409 TOTAL_BELOW_ALLOCATED → all 10", async () => {
    const auth = await create({ lines: [{ serviceCode: '97153', totalUnits: 50 }, { serviceCode: '97155', totalUnits: 10 }] });
    const line = lineOf(auth, '97153');
    const [lowered, ...results] = await Promise.all([
      t.request('PATCH', `/api/v1/authorizations/${auth.id}/lines/${line.id}`, { token: org.tokens.ADMIN, body: { totalUnits: 30 } }),
      ...Array.from({ length: 10 }, () => reserve(auth.id, { units: 5, serviceCode: '97153', serviceDate: '2026-03-04' })),
    ]);
    const granted = results.filter((r) => r.status === 201).length;
    if (lowered.status === 200) {
      expect(granted).toBe(6);
      expect(await get(auth.id)).toMatchObject({ totalUnits: 40, scheduledUnits: 30 });
    } else {
      expectError(lowered, 409, 'TOTAL_BELOW_ALLOCATED');
      expect(granted).toBe(10);
    }
    for (const r of results.filter((x) => x.status !== 201)) {
      expectError(r, 409, 'INSUFFICIENT_UNITS');
      expect(r.body).toMatchObject({ availableUnits: 0, requestedUnits: 5 });
    }
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });

  it('a pool lowered while reservations on two lines race: never more held than the pool that won', async () => {
    const auth = await create({ lines: [{ serviceCode: '97153', totalUnits: 50 }, { serviceCode: '97155', totalUnits: 50 }], poolUnits: 100 });
    const [lowered, ...results] = await Promise.all([
      t.request('PATCH', `/api/v1/authorizations/${auth.id}`, { token: org.tokens.ADMIN, body: { totalUnits: 40 } }),
      ...Array.from({ length: 12 }, (_, i) => reserve(auth.id, { units: 5, serviceCode: i % 2 ? '97153' : '97155', serviceDate: '2026-03-04' })),
    ]);
    const granted = results.filter((r) => r.status === 201).length;
    if (lowered.status === 200) {
      expect(granted).toBe(8);
      expect(await get(auth.id)).toMatchObject({ totalUnits: 40, poolUnits: 40, scheduledUnits: 40, availableUnits: 0 });
    } else {
      expectError(lowered, 409, 'TOTAL_BELOW_ALLOCATED');
      expect(granted).toBe(12);
    }
    for (const r of results.filter((x) => x.status !== 201)) expectError(r, 409, 'INSUFFICIENT_UNITS');
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });

  it('the same line added twice at once: exactly one 201, the other 400, never a 500', async () => {
    const auth = await create({ lines: [{ serviceCode: '97153', totalUnits: 40 }] });
    const results = await Promise.all(Array.from({ length: 4 }, () =>
      t.request('POST', `/api/v1/authorizations/${auth.id}/lines`, { token: org.tokens.ADMIN, body: { serviceCode: '97155', modifiers: ['HO'], totalUnits: 10 } })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 400, 400, 400]);
    for (const r of results.filter((x) => x.status === 400)) expectError(r, 400, 'VALIDATION_FAILED');
    expect(await get(auth.id)).toMatchObject({ totalUnits: 50 });
    expect((await ledger(auth.id)).filter((e) => e.type === 'ADJUST')).toHaveLength(1);
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });

  it('different lines added at once, with reservations racing: all added, totals and ledger reconcile', async () => {
    const auth = await create({ lines: [{ serviceCode: '97153', totalUnits: 40 }] });
    const codes = ['97151', '97152', '97154', '97155', '97156'];
    const results = await Promise.all([
      ...codes.map((serviceCode) => t.request('POST', `/api/v1/authorizations/${auth.id}/lines`, { token: org.tokens.ADMIN, body: { serviceCode, totalUnits: 10 } })),
      ...Array.from({ length: 6 }, () => reserve(auth.id, { units: 5, serviceCode: '97153', serviceDate: '2026-03-04' })),
    ]);
    expect(results.slice(0, 5).map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
    expect(results.slice(5).map((r) => r.status)).toEqual([201, 201, 201, 201, 201, 201]);
    const after = await get(auth.id);
    expect(after).toMatchObject({ serviceCode: null, totalUnits: 90, scheduledUnits: 30, availableUnits: 60 });
    expect(after.lines).toHaveLength(6);
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });
});

describe('14. odds and ends', () => {
  it("on a one-line authorization another code is 409 NO_MATCHING_LINE; its own code is accepted", async () => {
    const auth = await create({ serviceCode: '97153', totalUnits: 20 });
    expectError(await reserve(auth.id, { units: 1, serviceCode: '97155', serviceDate: '2026-03-04' }), 409, 'NO_MATCHING_LINE');
    expectError(await reserve(auth.id, { units: 1, serviceCode: '97153', modifiers: ['HO'], serviceDate: '2026-03-04' }), 409, 'NO_MATCHING_LINE');
    expectStatus(await reserve(auth.id, { units: 1, serviceCode: '97153', serviceDate: '2026-03-04' }), 201);
  });

  it("without serviceDate the reservation counts in today's buckets (the organization's today)", async () => {
    const today = new Date().toISOString().slice(0, 10); // the organization's time zone is UTC (the default)
    const start = new Date(Date.now() - 40 * 86_400_000).toISOString().slice(0, 10);
    const end = new Date(Date.now() + 40 * 86_400_000).toISOString().slice(0, 10);
    const auth = await create({ serviceCode: '97153', totalUnits: 20, caps: [{ period: 'DAY', units: 3 }], startDate: start, endDate: end });
    const first = await reserve(auth.id, { units: 3 });
    expectStatus(first, 201);
    expect(first.body.reservation.serviceDate).toBe(today);
    expectCapExceeded(await reserve(auth.id, { units: 1, serviceDate: today }), {
      period: 'DAY', periodStart: today, periodEnd: today, capUnits: 3, availableUnits: 0, requestedUnits: 1,
    });
  });

  it("the default serviceDate is the organization's local date (timeZone), and its buckets are that date's", async () => {
    const root = await rootToken(t.request);
    for (const timeZone of ['Pacific/Kiritimati', 'Pacific/Pago_Pago']) {
      const other = await createOrg(t.request, root);
      expectStatus(await t.request('PATCH', `/api/v1/organizations/${other.id}`, { token: other.tokens.ADMIN, body: { timeZone } }), 200);
      const local = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
      const start = new Date(Date.now() - 40 * 86_400_000).toISOString().slice(0, 10);
      const end = new Date(Date.now() + 40 * 86_400_000).toISOString().slice(0, 10);
      const auth = await create({ serviceCode: '97153', totalUnits: 20, caps: [{ period: 'DAY', units: 2 }], startDate: start, endDate: end }, other.tokens.ADMIN);
      const res = await reserve(auth.id, { units: 2 }, other.tokens.PRACTITIONER);
      expectStatus(res, 201);
      expect({ timeZone, serviceDate: res.body.reservation.serviceDate }).toEqual({ timeZone, serviceDate: local });
      expectCapExceeded(await reserve(auth.id, { units: 1, serviceDate: local }, other.tokens.PRACTITIONER), {
        period: 'DAY', periodStart: local, periodEnd: local, capUnits: 2, availableUnits: 0, requestedUnits: 1,
      });
    }
  });

  it('GET /authorizations?serviceCode= finds an authorization by any of its lines', async () => {
    const patientId = `patient-${randomBytes(3).toString('hex')}`;
    const auth = await create({ patientId, lines: [{ serviceCode: '97153', totalUnits: 10 }, { serviceCode: '97155', totalUnits: 10 }] });
    for (const [code, found] of [['97153', [auth.id]], ['97155', [auth.id]], ['97156', []]] as const) {
      const res = await t.request('GET', `/api/v1/authorizations?patientId=${patientId}&serviceCode=${code}`, { token: org.tokens.VIEWER });
      expectStatus(res, 200);
      expect(res.body.items.map((a: any) => a.id)).toEqual(found);
    }
  });
});
