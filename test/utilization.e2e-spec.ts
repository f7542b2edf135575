// SPEC §10 "Utilization" through the HTTP API: GET /authorizations/:id/utilization and GET
// /utilization. Every figure, flag and bucket below is worked out by hand from the fixture, relative
// to today (UTC, the organizations' default time zone): the periods run from today − 29, so that
// percentElapsed is a round number, and the reservations fall on days chosen relative to today and
// to the Monday of this week (the default weekStartsOn), so that each lands in a known bucket and
// in or out of the burn-rate window (today − 27 .. today) whatever weekday the suite runs on.
// Then tenancy (404), roles, pagination, the filters, and 10,000 seeded authorizations paged
// through with and without `flag` (timings printed, not asserted).
import { randomBytes } from 'node:crypto';
import { todayIn } from '../src/shared/http/calendar';
import { expectError, expectStatus } from './helpers/routes';
import { TestApp } from './helpers/test-app';
import { createOrg, OrgWorld, rootToken, startAppWithOrg } from './helpers/world';

let t: TestApp;
let org: OrgWorld;
let other: OrgWorld;
let root: string;

const TODAY = todayIn('UTC');
const DAY_MS = 86_400_000;
/** The date `n` days after `date` (YYYY-MM-DD). */
const day = (date: string, n: number) => new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
const T = (n: number) => day(TODAY, n);
/** The Monday of this week (weeks start on MONDAY by default): today − 0..6. */
const MONDAY = day(TODAY, -((new Date(`${TODAY}T00:00:00Z`).getUTCDay() + 6) % 7));
const W = (n: number) => day(MONDAY, n);
/** The first and last day of the month `k` months after this one. */
const month = (k: number) => {
  const d = new Date(`${TODAY}T00:00:00Z`);
  const first = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + k, 1)).toISOString().slice(0, 10);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + k + 1, 0)).toISOString().slice(0, 10);
  return { first, last };
};

const P1 = `patient-${randomBytes(3).toString('hex')}`;
const P2 = `patient-${randomBytes(3).toString('hex')}`;

async function create(body: Record<string, unknown>, world = org) {
  const res = await t.request('POST', '/api/v1/authorizations', {
    token: world.tokens.ADMIN,
    body: { patientId: P1, authNumber: `AUTH-${randomBytes(4).toString('hex')}`, ...body },
  });
  if (res.status !== 201) throw new Error(`create authorization → ${res.status} ${res.text}`);
  return res.body;
}

/** Reserves, then consumes `consume` units of it when given (the rest is released). */
async function reserve(authId: string, body: Record<string, unknown>, consume?: number) {
  const res = await t.request('POST', `/api/v1/authorizations/${authId}/reservations`, { token: org.tokens.PRACTITIONER, body });
  if (res.status !== 201) throw new Error(`reserve ${JSON.stringify(body)} → ${res.status} ${res.text}`);
  if (consume !== undefined) {
    const done = await t.request('POST', `/api/v1/reservations/${res.body.reservation.id}/consume`, { token: org.tokens.PRACTITIONER, body: { units: consume } });
    if (done.status !== 200) throw new Error(`consume → ${done.status} ${done.text}`);
  }
}

const utilization = (id: string, token = org.tokens.VIEWER) => t.request('GET', `/api/v1/authorizations/${id}/utilization`, { token });
const list = (query: string, token = org.tokens.VIEWER) => t.request('GET', `/api/v1/utilization${query}`, { token });
const bucket = (periodStart: string, periodEnd: string, capUnits: number, heldUnits: number) => ({ periodStart, periodEnd, capUnits, heldUnits, availableUnits: capUnits - heldUnits });

// The fixture of organization `org`, in creation order (ids are time-ordered).
let A: any; // pool 150 over 97153 (100) and 97155-HO (40, DAY cap 8), WEEK cap 20 on the whole
let B: any; // 97153, 30 units, burning fast: AT_RISK
let C: any; // 97153, 10 units, nothing used, ending in 20 days: UNDER_UTILIZED
let D: any; // starts in 5 days: percentElapsed 0; a MONTH cap
let E: any; // ended yesterday, nothing used: percentElapsed 100, UNDER_UTILIZED
let foreign: any; // another organization's

beforeAll(async () => {
  ({ t, org } = await startAppWithOrg({ RATE_LIMIT_USER_PER_MINUTE: '1000000' }));
  root = await rootToken(t.request);
  other = await createOrg(t.request, root);

  // 100 days, today the 30th: percentElapsed 30.0 for A and B.
  A = await create({
    startDate: T(-29), endDate: T(70), poolUnits: 150, caps: [{ period: 'WEEK', units: 20 }],
    lines: [
      { serviceCode: '97153', totalUnits: 100 },
      { serviceCode: '97155', modifiers: ['HO'], totalUnits: 40, caps: [{ period: 'DAY', units: 8 }] },
    ],
  });
  const L1 = { serviceCode: '97153' };
  const L2 = { serviceCode: '97155', modifiers: ['HO'] };
  await reserve(A.id, { ...L1, units: 6, serviceDate: W(0) }, 6); // this week; in the window (Monday ≤ today)
  await reserve(A.id, { ...L1, units: 3, serviceDate: W(-7) }, 3); // last week; in the window (≥ today − 13)
  await reserve(A.id, { ...L1, units: 4, serviceDate: T(-27) }, 4); // the window's first day
  await reserve(A.id, { ...L1, units: 5, serviceDate: T(-28) }, 5); // the day before the window
  await reserve(A.id, { ...L1, units: 2, serviceDate: W(8) }, 2); // consumed, dated next week: after today, not in the window
  await reserve(A.id, { ...L1, units: 5, serviceDate: T(0) }); // scheduled this week
  await reserve(A.id, { ...L1, units: 3, serviceDate: W(7) }); // scheduled next week
  await reserve(A.id, { ...L1, units: 4, serviceDate: W(21) }); // scheduled in three weeks
  await reserve(A.id, { ...L2, units: 2, serviceDate: T(0) }, 1); // 1 consumed today, 1 released
  await reserve(A.id, { ...L2, units: 2, serviceDate: T(0) }); // scheduled today

  B = await create({ startDate: T(-29), endDate: T(70), serviceCode: '97153', totalUnits: 30 });
  await reserve(B.id, { units: 20, serviceDate: T(-1) }, 20);
  // 30 days, today the 10th: 33.3.
  C = await create({ patientId: P2, startDate: T(-9), endDate: T(20), serviceCode: '97153', totalUnits: 10 });
  D = await create({ patientId: P2, startDate: T(5), endDate: T(10), serviceCode: '97153', totalUnits: 10, caps: [{ period: 'MONTH', units: 50 }] });
  E = await create({ patientId: P2, startDate: T(-40), endDate: T(-1), serviceCode: '97153', totalUnits: 10 });
  foreign = await create({ startDate: T(-29), endDate: T(70), serviceCode: '97153', totalUnits: 10 }, other);
});
afterAll(() => t?.close());

/** The figures of A, B, C, D and E, worked out by hand. */
function expected() {
  const [l1, l2] = A.lines;
  const a = {
    authorizationId: A.id,
    asOf: TODAY,
    // The pool: totalUnits 150; the lines' totals add up to 140, the tighter: available 140 − 21 − 14.
    totalUnits: 150, usedUnits: 21, scheduledUnits: 14, availableUnits: 105,
    percentUsed: 14, // 21 / 150
    percentElapsed: 30,
    burnRatePerWeek: 3.5, // 6 + 3 + 4 (97153) + 1 (97155-HO) = 14 in the window, ÷ 4
    projectedExhaustionDate: T(258), // (150 − 21) ÷ 3.5 × 7 = 258 days
    flags: [], // 258 days is after the end (70); 30 − 14 = 16 points
    pool: {
      totalUnits: 150, usedUnits: 21, scheduledUnits: 14, availableUnits: 115, // the pool alone: 150 − 35
      percentUsed: 14, percentElapsed: 30, burnRatePerWeek: 3.5, projectedExhaustionDate: T(258), flags: [],
    },
    lines: [
      {
        lineId: l1.id, serviceCode: '97153', modifiers: [],
        totalUnits: 100, usedUnits: 20, scheduledUnits: 12, availableUnits: 68, // used 6+3+4+5+2, scheduled 5+3+4
        percentUsed: 20, percentElapsed: 30,
        burnRatePerWeek: 3.25, // 6 + 3 + 4 = 13 ÷ 4
        projectedExhaustionDate: T(173), // 80 ÷ 3.25 × 7 = 172.3 → 173
        flags: [], // 30 − 20 = 10 points
        caps: [],
      },
      {
        lineId: l2.id, serviceCode: '97155', modifiers: ['HO'],
        totalUnits: 40, usedUnits: 1, scheduledUnits: 2, availableUnits: 37,
        percentUsed: 2.5, percentElapsed: 30,
        burnRatePerWeek: 0.25,
        projectedExhaustionDate: T(1092), // 39 ÷ 0.25 × 7
        flags: ['UNDER_UTILIZED'], // 30 − 2.5 = 27.5 points
        caps: [{ period: 'DAY', units: 8, buckets: [bucket(T(0), T(0), 8, 3), bucket(T(1), T(1), 8, 0), bucket(T(2), T(2), 8, 0), bucket(T(3), T(3), 8, 0)] }],
      },
    ],
    caps: [{
      period: 'WEEK', units: 20,
      buckets: [
        bucket(W(0), W(6), 20, 14), // 6 used (Monday) + 5 scheduled + 1 used + 2 scheduled (today)
        bucket(W(7), W(13), 20, 5), // 3 scheduled + 2 used
        bucket(W(14), W(20), 20, 0), // no row in cap_buckets
        bucket(W(21), W(27), 20, 4),
      ],
    }],
  };
  const single = (id: string, lineId: string, f: Record<string, unknown>, caps: unknown[] = []) => {
    const { pool: _, ...figures } = f;
    return { authorizationId: id, asOf: TODAY, ...figures, pool: null, caps, lines: [{ lineId, serviceCode: '97153', modifiers: [], ...figures, caps: [] }] };
  };
  const b = single(B.id, B.lines[0].id, {
    totalUnits: 30, usedUnits: 20, scheduledUnits: 0, availableUnits: 10,
    percentUsed: 66.7, // 20 / 30 = 66.66…
    percentElapsed: 30,
    burnRatePerWeek: 5, // 20 ÷ 4
    projectedExhaustionDate: T(14), // 10 ÷ 5 × 7
    flags: ['AT_RISK'], // before the end (70)
  });
  const idle = { usedUnits: 0, scheduledUnits: 0, percentUsed: 0, burnRatePerWeek: 0, projectedExhaustionDate: null };
  const c = single(C.id, C.lines[0].id, { ...idle, totalUnits: 10, availableUnits: 10, percentElapsed: 33.3, flags: ['UNDER_UTILIZED'] }); // 10 / 30 days
  const d = single(D.id, D.lines[0].id, { ...idle, totalUnits: 10, availableUnits: 10, percentElapsed: 0, flags: [] }, [
    { period: 'MONTH', units: 50, buckets: [0, 1, 2, 3].map((k) => bucket(month(k).first, month(k).last, 50, 0)) },
  ]);
  const e = single(E.id, E.lines[0].id, { ...idle, totalUnits: 10, availableUnits: 10, percentElapsed: 100, flags: ['UNDER_UTILIZED'] }); // 41 / 40 days, capped
  return { a, b, c, d, e };
}

describe('GET /authorizations/:id/utilization', () => {
  it('the pool, the lines, the caps: every figure, flag and bucket as worked out by hand', async () => {
    const res = await utilization(A.id);
    expectStatus(res, 200);
    expect(res.body).toEqual(expected().a);
  });

  it('the v1 shape; AT_RISK, UNDER_UTILIZED, percentElapsed capped to 0 and 100, a MONTH cap', async () => {
    const { b, c, d, e } = expected();
    for (const [auth, want] of [[B, b], [C, c], [D, d], [E, e]] as const) {
      const res = await utilization(auth.id);
      expectStatus(res, 200);
      expect(res.body).toEqual(want);
    }
  });

  it('every role of the organization may read it; SUPER_ADMIN any organization', async () => {
    for (const token of [org.tokens.ADMIN, org.tokens.PRACTITIONER, org.tokens.VIEWER, root]) {
      const res = await utilization(A.id, token);
      expectStatus(res, 200);
      expect(res.body).toEqual(expected().a);
    }
    const theirs = await utilization(foreign.id, root);
    expectStatus(theirs, 200);
    expect(theirs.body).toMatchObject({ authorizationId: foreign.id, totalUnits: 10, flags: ['UNDER_UTILIZED'] });
  });

  it("another organization's authorization, an unknown id, or no id at all: 404", async () => {
    for (const token of [org.tokens.ADMIN, org.tokens.VIEWER]) expectError(await utilization(foreign.id, token), 404, 'NOT_FOUND');
    expectError(await utilization(A.id, other.tokens.VIEWER), 404, 'NOT_FOUND');
    expectError(await utilization('0190a000-0000-7000-8000-000000000000'), 404, 'NOT_FOUND');
    expectError(await utilization('not-a-uuid'), 404, 'NOT_FOUND');
  });

  it("today is the organization's local date (timeZone), and its weeks start on its weekStartsOn", async () => {
    const kiritimati = await createOrg(t.request, root);
    const settings = await t.request('PATCH', `/api/v1/organizations/${kiritimati.id}`, {
      token: kiritimati.tokens.ADMIN, body: { timeZone: 'Pacific/Kiritimati', weekStartsOn: 'SUNDAY' },
    });
    expectStatus(settings, 200);
    // UTC+14: from 10:00 UTC on, its today is the UTC date's tomorrow.
    const local = todayIn('Pacific/Kiritimati');
    const L = (n: number) => day(local, n);
    const sunday = day(local, -new Date(`${local}T00:00:00Z`).getUTCDay());
    const S = (n: number) => day(sunday, n);
    const auth = await create({ startDate: L(-29), endDate: L(70), serviceCode: '97153', totalUnits: 40, caps: [{ period: 'WEEK', units: 10 }] }, kiritimati);
    const reserved = await t.request('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token: kiritimati.tokens.ADMIN, body: { units: 3, serviceDate: S(0) } });
    expectStatus(reserved, 201);
    const done = await t.request('POST', `/api/v1/reservations/${reserved.body.reservation.id}/consume`, { token: kiritimati.tokens.ADMIN, body: {} });
    expectStatus(done, 200);
    const res = await utilization(auth.id, kiritimati.tokens.VIEWER);
    expectStatus(res, 200);
    const figures = {
      totalUnits: 40, usedUnits: 3, scheduledUnits: 0, availableUnits: 37, percentUsed: 7.5, percentElapsed: 30,
      burnRatePerWeek: 0.75, // 3 consumed on this week's Sunday ÷ 4
      projectedExhaustionDate: L(346), // 37 ÷ 0.75 × 7 = 345.3 → 346
      flags: ['UNDER_UTILIZED'], // 30 − 7.5 = 22.5 points
    };
    expect(res.body).toEqual({
      authorizationId: auth.id, asOf: local, ...figures, pool: null,
      lines: [{ lineId: auth.lines[0].id, serviceCode: '97153', modifiers: [], ...figures, caps: [] }],
      caps: [{ period: 'WEEK', units: 10, buckets: [bucket(S(0), S(6), 10, 3), bucket(S(7), S(13), 10, 0), bucket(S(14), S(20), 10, 0), bucket(S(21), S(27), 10, 0)] }],
    });
  });

  it('no token: 401', async () => {
    expectError(await t.request('GET', `/api/v1/authorizations/${A.id}/utilization`), 401, 'UNAUTHORIZED');
  });
});

const ids = (res: { body: { items: { authorizationId: string }[] } }) => res.body.items.map((i) => i.authorizationId);

describe('GET /utilization', () => {
  it("the organization's authorizations in id order, each exactly as GET …/:id/utilization answers", async () => {
    const { a, b, c, d, e } = expected();
    const res = await list('');
    expectStatus(res, 200);
    expect(res.body).toEqual({ items: [a, b, c, d, e], nextCursor: null });
  });

  it('pages by keyset (limit and cursor)', async () => {
    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | null = null;
    do {
      const res = await list(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expectStatus(res, 200);
      seen.push(...ids(res));
      sizes.push(res.body.items.length);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(sizes).toEqual([2, 2, 1]);
    expect(seen).toEqual([A.id, B.id, C.id, D.id, E.id]);
  });

  it('?flag= filters on the authorization\'s own flags, also across pages', async () => {
    const { b, c, e } = expected();
    expect((await list('?flag=AT_RISK')).body).toEqual({ items: [b], nextCursor: null });
    const first = await list('?flag=UNDER_UTILIZED&limit=1');
    expect(first.body).toEqual({ items: [c], nextCursor: expect.any(String) });
    const second = await list(`?flag=UNDER_UTILIZED&limit=1&cursor=${first.body.nextCursor}`);
    expect(second.body).toEqual({ items: [e], nextCursor: null });
  });

  it('?endingWithinDays= (from today, ended ones excluded) and ?patientId=', async () => {
    expect(ids(await list('?endingWithinDays=20'))).toEqual([C.id, D.id]);
    expect(ids(await list('?endingWithinDays=69'))).toEqual([C.id, D.id]);
    expect(ids(await list('?endingWithinDays=70'))).toEqual([A.id, B.id, C.id, D.id]);
    expect(ids(await list('?endingWithinDays=0'))).toEqual([]);
    expect(ids(await list(`?patientId=${P1}`))).toEqual([A.id, B.id]);
    expect(ids(await list(`?patientId=${P2}&flag=UNDER_UTILIZED&endingWithinDays=30`))).toEqual([C.id]);
  });

  it('a SUPER_ADMIN sees every organization, or one with ?organizationId=; nobody else may use it', async () => {
    expect(ids(await list(`?organizationId=${org.id}`, root))).toEqual([A.id, B.id, C.id, D.id, E.id]);
    expect(ids(await list(`?organizationId=${other.id}`, root))).toEqual([foreign.id]);
    const all = ids(await list('?limit=100', root));
    expect(all).toEqual(expect.arrayContaining([A.id, E.id, foreign.id]));
    expect(all).toEqual([...all].sort());
    expect(ids(await list('', other.tokens.VIEWER))).toEqual([foreign.id]);
    expectError(await list(`?organizationId=${org.id}`, org.tokens.ADMIN), 400, 'VALIDATION_FAILED');
  });

  it('refuses what it does not understand: 400', async () => {
    for (const query of ['?flag=LOW', '?limit=0', '?limit=101', '?limit=2.5', '?endingWithinDays=-1', '?endingWithinDays=x', '?cursor=%%%', '?cursor=bm90LWEtdXVpZA', '?status=ACTIVE']) {
      expectError(await list(query), 400, 'VALIDATION_FAILED');
    }
  });
});

describe('10,000 authorizations (seeded in SQL): pages of 100 with and without flag', () => {
  let seeded: OrgWorld;
  const N = 10_000;
  const timings: Record<string, number[]> = {};

  beforeAll(async () => {
    seeded = await createOrg(t.request, root);
    const started = Date.now();
    // One line each (the authorization's counters equal its line's: authorization_lines_sum), a WEEK
    // cap each (so each is marked capped); every third consumed 30 units yesterday (AT_RISK), every third + 2 consumed 15 units
    // 28 days ago (outside the window: no flag), the rest nothing (UNDER_UTILIZED) — with the
    // reservations, ledger entries and buckets those units imply, so the integrity check at close holds.
    await t.sql.query('begin');
    await t.sql.query(
      `insert into authorizations (id, organization_id, patient_id, auth_number, service_code, total_units, lines_total_units, used_units, scheduled_units, start_date, end_date, status, capped)
       select md5('seed:' || g)::uuid, $1, 'seed-' || (g % 100), 'SEED-' || g, '97153', 100, 100,
              case g % 3 when 0 then 30 when 2 then 15 else 0 end, 0, $2::date - 29, $2::date + 70, 'ACTIVE', true
       from generate_series(1, ${N}) g`,
      [seeded.id, TODAY],
    );
    // A new line holds nothing (authorization_lines_born_empty): inserted empty, then given the authorization's units.
    await t.sql.query(
      `insert into authorization_lines (id, authorization_id, organization_id, service_code, modifiers, total_units)
       select md5(a.id::text || ':line')::uuid, a.id, a.organization_id, a.service_code, '', a.total_units
       from authorizations a where a.organization_id = $1`,
      [seeded.id],
    );
    await t.sql.query(
      `update authorization_lines l set used_units = a.used_units, scheduled_units = a.scheduled_units
       from authorizations a where a.organization_id = $1 and l.authorization_id = a.id`,
      [seeded.id],
    );
    await t.sql.query(
      `insert into authorization_caps (id, authorization_id, line_id, period, units)
       select md5(a.id::text || ':cap')::uuid, a.id, null, 'WEEK', 1000 from authorizations a where a.organization_id = $1`,
      [seeded.id],
    );
    await t.sql.query(
      `insert into reservations (id, authorization_id, organization_id, line_id, units, service_date, status, consumed_units)
       select md5(a.id::text || ':r')::uuid, a.id, a.organization_id, md5(a.id::text || ':line')::uuid, a.used_units,
              case a.used_units when 30 then $2::date - 1 else $2::date - 28 end, 'CONSUMED', a.used_units
       from authorizations a where a.organization_id = $1 and a.used_units > 0`,
      [seeded.id, TODAY],
    );
    for (const [type, used, scheduled] of [['RESERVE', '0', 'r.units'], ['CONSUME', 'r.units', '0']]) {
      await t.sql.query(
        `insert into ledger_entries (authorization_id, reservation_id, type, units, total_after, used_after, scheduled_after, line_id, service_date)
         select r.authorization_id, r.id, '${type}', r.units, 100, ${used}, ${scheduled}, r.line_id, r.service_date
         from reservations r where r.organization_id = $1 order by r.id`,
        [seeded.id],
      );
    }
    await t.sql.query(
      `insert into cap_buckets (cap_id, period_start, authorization_id, period, period_end, cap_units, used_units, scheduled_units)
       select md5(r.authorization_id::text || ':cap')::uuid, unit_period_start('WEEK', r.service_date, 'MONDAY'), r.authorization_id, 'WEEK',
              unit_period_start('WEEK', r.service_date, 'MONDAY') + 6, 1000, r.consumed_units, 0
       from reservations r where r.organization_id = $1`,
      [seeded.id],
    );
    await t.sql.query('commit');
    await t.sql.query('analyze');
    console.log(`seeded ${N} authorizations in ${Date.now() - started} ms`);
  });

  afterAll(() => {
    const summary = Object.entries(timings).map(([name, ms]) => {
      const sorted = [...ms].sort((x, y) => x - y);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
      return `${name}: ${ms.length} pages, first ${ms[0]} ms, median ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${sorted[sorted.length - 1]} ms`;
    });
    console.log(`GET /utilization?limit=100 over ${N} authorizations (wall clock per page)\n${summary.join('\n')}`);
  });

  /** Every page of the list with `query`, timed; the ids in order. */
  async function walk(name: string, query: string): Promise<{ items: any[] }> {
    const items: any[] = [];
    timings[name] = [];
    let cursor: string | null = null;
    do {
      const started = performance.now();
      const res = await list(`?limit=100${query}${cursor ? `&cursor=${cursor}` : ''}`, seeded.tokens.VIEWER);
      timings[name].push(Math.round(performance.now() - started));
      expectStatus(res, 200);
      expect(res.body.items.length).toBeLessThanOrEqual(100);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    return { items };
  }

  const seedIds = async (g: string) =>
    (await t.sql.query(`select md5('seed:' || g)::uuid::text as id from generate_series(1, ${N}) g where ${g} order by md5('seed:' || g)::uuid`)).rows.map((r) => r.id as string);

  it('without flag: all 10,000 in id order, 100 pages', async () => {
    const { items } = await walk('no flag', '');
    expect(items.map((i) => i.authorizationId)).toEqual(await seedIds('true'));
    expect(timings['no flag']).toHaveLength(100);
  });

  it('flag=AT_RISK: exactly the 3,333 that consumed 30 units yesterday, each as worked out by hand', async () => {
    const { items } = await walk('flag=AT_RISK', '&flag=AT_RISK');
    expect(items.map((i) => i.authorizationId)).toEqual(await seedIds('g % 3 = 0'));
    const [first] = items;
    const figures = {
      totalUnits: 100, usedUnits: 30, scheduledUnits: 0, availableUnits: 70, percentUsed: 30, percentElapsed: 30,
      burnRatePerWeek: 7.5, projectedExhaustionDate: T(66), flags: ['AT_RISK'], // 70 ÷ 7.5 × 7 = 65.3 → 66 < 70
    };
    expect(first).toEqual({
      authorizationId: first.authorizationId, asOf: TODAY, ...figures, pool: null,
      lines: [{ lineId: expect.any(String), serviceCode: '97153', modifiers: [], ...figures, caps: [] }],
      caps: [{ period: 'WEEK', units: 1000, buckets: [0, 7, 14, 21].map((n) => bucket(W(n), W(n + 6), 1000, W(n) <= T(-1) && T(-1) <= W(n + 6) ? 30 : 0)) }],
    });
  });

  it('flag=UNDER_UTILIZED: exactly the 3,334 that used nothing', async () => {
    const { items } = await walk('flag=UNDER_UTILIZED', '&flag=UNDER_UTILIZED');
    expect(items.map((i) => i.authorizationId)).toEqual(await seedIds('g % 3 = 1'));
    expect(items.every((i) => i.usedUnits === 0 && i.percentUsed === 0 && i.projectedExhaustionDate === null)).toBe(true);
  });
});
