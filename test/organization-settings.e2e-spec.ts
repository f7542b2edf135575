// Organization settings (SPEC §10 "Organization settings", §11 lowUnitsPercent and
// expiringWithinDays; issue 14 point 6): GET and PATCH /api/v1/organizations/:id — SUPER_ADMIN any
// organization, ADMIN their own (another organization is 404, as everywhere), PRACTITIONER and
// VIEWER 403. Every answer about an organization (create, list, get, patch) shows its settings;
// new organizations get the defaults (MONDAY, UTC, 20, 30). `timeZone` must be a name both Intl and
// PostgreSQL know; a refused PATCH changes nothing.
import { randomUUID } from 'node:crypto';
import { HttpResult } from './helpers/http';
import { checkIntegrity, INTACT } from './helpers/ledger-check';
import { expectError, expectStatus, unique } from './helpers/routes';
import { startTestApp, TestApp } from './helpers/test-app';
import { createAuthorization, createOrg, dayOffset, OrgWorld, rootToken } from './helpers/world';

let t: TestApp;
let root: string;
let A: OrgWorld;
let B: OrgWorld;

const DEFAULTS = { weekStartsOn: 'MONDAY', timeZone: 'UTC', lowUnitsPercent: 20, expiringWithinDays: 30 };

const patch = (token: string | undefined, id: string, body: unknown) => t.request('PATCH', `/api/v1/organizations/${id}`, { token, body });
const get = (token: string | undefined, id: string) => t.request('GET', `/api/v1/organizations/${id}`, { token });

/** The row as stored, in the API's names. */
async function stored(id: string) {
  const { rows } = await t.sql.query(
    `select id, name, week_starts_on as "weekStartsOn", time_zone as "timeZone", low_units_percent as "lowUnitsPercent",
       expiring_within_days as "expiringWithinDays", to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "createdAt"
     from organizations where id = $1`,
    [id],
  );
  return rows[0];
}

/** A fresh organization (SUPER_ADMIN creates it), so that no test depends on another's changes. */
async function freshOrganization(): Promise<{ id: string; name: string }> {
  const res = await t.request('POST', '/api/v1/organizations', { token: root, body: { name: unique('Settings') } });
  expectStatus(res, 201);
  return res.body;
}

function expectFields(res: HttpResult, fields: string[]): void {
  expectError(res, 400, 'VALIDATION_FAILED');
  expect(new Set(res.body.fields.map((f: { field: string }) => f.field))).toEqual(new Set(fields));
}

beforeAll(async () => {
  t = await startTestApp();
  root = await rootToken(t.request);
  A = await createOrg(t.request, root, unique('OrgA'));
  B = await createOrg(t.request, root, unique('OrgB'));
});
afterAll(() => t?.close());

describe('every answer about an organization shows its settings; new ones get the defaults', () => {
  it('POST /organizations → 201 with the defaults, stored as shown', async () => {
    const name = unique('Defaults');
    const res = await t.request('POST', '/api/v1/organizations', { token: root, body: { name } });
    expectStatus(res, 201);
    expect(res.body).toEqual({ id: expect.any(String), name, ...DEFAULTS, createdAt: expect.any(String) });
    expect(await stored(res.body.id)).toEqual(res.body);
  });

  it('GET /organizations and GET /organizations/:id show the same settings as the table', async () => {
    const list = await t.request('GET', '/api/v1/organizations', { token: root });
    expectStatus(list, 200);
    const a = list.body.items.find((o: { id: string }) => o.id === A.id);
    expect(a).toEqual({ id: A.id, name: expect.any(String), ...DEFAULTS, createdAt: expect.any(String) });
    expect(a).toEqual(await stored(A.id));
    const one = await get(root, A.id);
    expectStatus(one, 200);
    expect(one.body).toEqual(a);
  });
});

describe('PATCH /organizations/:id changes each setting, and GET reads it back', () => {
  it.each([
    ['name', { name: 'Renamed Clinic' }],
    ['weekStartsOn SUNDAY', { weekStartsOn: 'SUNDAY' }],
    ['weekStartsOn MONDAY (unchanged value)', { weekStartsOn: 'MONDAY' }],
    ['timeZone America/New_York', { timeZone: 'America/New_York' }],
    ['timeZone Pacific/Auckland', { timeZone: 'Pacific/Auckland' }],
    ['timeZone UTC', { timeZone: 'UTC' }],
    ['lowUnitsPercent 1', { lowUnitsPercent: 1 }],
    ['lowUnitsPercent 99', { lowUnitsPercent: 99 }],
    ['expiringWithinDays 1', { expiringWithinDays: 1 }],
    ['expiringWithinDays 365', { expiringWithinDays: 365 }],
    ['everything at once', { name: 'All Settings', weekStartsOn: 'SUNDAY', timeZone: 'Europe/Paris', lowUnitsPercent: 35, expiringWithinDays: 45 }],
  ])('SUPER_ADMIN × %s → 200, stored and read back', async (_label, change) => {
    const org = await freshOrganization();
    const res = await patch(root, org.id, change);
    expectStatus(res, 200);
    const expected = { ...org, ...change };
    expect(res.body).toEqual(expected);
    expect(await stored(org.id)).toEqual(expected);
    const reread = await get(root, org.id);
    expectStatus(reread, 200);
    expect(reread.body).toEqual(expected);
  });

  it('settings changed one after the other accumulate (a PATCH leaves the fields it does not name alone)', async () => {
    const org = await freshOrganization();
    expectStatus(await patch(root, org.id, { timeZone: 'America/New_York' }), 200);
    expectStatus(await patch(root, org.id, { lowUnitsPercent: 10 }), 200);
    const last = await patch(root, org.id, { weekStartsOn: 'SUNDAY' });
    expectStatus(last, 200);
    expect(last.body).toEqual({ ...org, weekStartsOn: 'SUNDAY', timeZone: 'America/New_York', lowUnitsPercent: 10, expiringWithinDays: 30 });
  });

  it('an empty body → 200, the organization unchanged', async () => {
    const org = await freshOrganization();
    expectStatus(await patch(root, org.id, { timeZone: 'Pacific/Auckland' }), 200);
    const before = await stored(org.id);
    const res = await patch(root, org.id, {});
    expectStatus(res, 200);
    expect(res.body).toEqual(before);
    expect(await stored(org.id)).toEqual(before);
  });

  it('the list shows the changed settings too', async () => {
    const org = await freshOrganization();
    expectStatus(await patch(root, org.id, { timeZone: 'Pacific/Auckland', expiringWithinDays: 7 }), 200);
    const list = await t.request('GET', '/api/v1/organizations', { token: root });
    expect(list.body.items.find((o: { id: string }) => o.id === org.id)).toEqual({ ...org, timeZone: 'Pacific/Auckland', expiringWithinDays: 7 });
  });
});

describe('who: SUPER_ADMIN any organization, ADMIN their own, others 403', () => {
  it('ADMIN × GET own → 200; PATCH own → 200, stored', async () => {
    const own = await get(A.tokens.ADMIN, A.id);
    expectStatus(own, 200);
    expect(own.body).toEqual(await stored(A.id));
    const res = await patch(A.tokens.ADMIN, A.id, { lowUnitsPercent: 25, expiringWithinDays: 60 });
    expectStatus(res, 200);
    expect(res.body).toEqual({ ...own.body, lowUnitsPercent: 25, expiringWithinDays: 60 });
    expect(await stored(A.id)).toEqual(res.body);
  });

  it("ADMIN × another organization's GET and PATCH → 404 NOT_FOUND (as for an id that exists nowhere), unchanged", async () => {
    const before = await stored(B.id);
    expectError(await get(A.tokens.ADMIN, B.id), 404, 'NOT_FOUND');
    expectError(await patch(A.tokens.ADMIN, B.id, { name: 'Taken Over', timeZone: 'America/New_York' }), 404, 'NOT_FOUND');
    expectError(await patch(A.tokens.ADMIN, B.id, {}), 404, 'NOT_FOUND');
    expect(await stored(B.id)).toEqual(before);
  });

  it.each([
    ['an id that exists nowhere', () => randomUUID()],
    ['an id that is not a UUID', () => 'not-a-uuid'],
    ['a user id', () => A.userIds.ADMIN],
  ])('GET and PATCH %s → 404 NOT_FOUND for SUPER_ADMIN and ADMIN', async (_label, id) => {
    for (const token of [root, A.tokens.ADMIN]) {
      expectError(await get(token, id()), 404, 'NOT_FOUND');
      expectError(await patch(token, id(), { lowUnitsPercent: 50 }), 404, 'NOT_FOUND');
    }
  });

  it('an upper-case id is the same organization', async () => {
    const res = await get(A.tokens.ADMIN, A.id.toUpperCase());
    expectStatus(res, 200);
    expect(res.body.id).toBe(A.id);
  });

  it.each(['PRACTITIONER', 'VIEWER'] as const)('%s × GET and PATCH own organization → 403 FORBIDDEN, unchanged', async (role) => {
    const before = await stored(A.id);
    expectError(await get(A.tokens[role], A.id), 403, 'FORBIDDEN');
    expectError(await patch(A.tokens[role], A.id, { lowUnitsPercent: 90 }), 403, 'FORBIDDEN');
    expectError(await patch(A.tokens[role], B.id, { lowUnitsPercent: 90 }), 403, 'FORBIDDEN');
    expect(await stored(A.id)).toEqual(before);
  });

  it('no token → 401 UNAUTHORIZED', async () => {
    expectError(await get(undefined, A.id), 401, 'UNAUTHORIZED');
    expectError(await patch(undefined, A.id, { lowUnitsPercent: 90 }), 401, 'UNAUTHORIZED');
  });

  it('SUPER_ADMIN reads and changes organization B too', async () => {
    expectStatus(await get(root, B.id), 200);
    const res = await patch(root, B.id, { weekStartsOn: 'SUNDAY' });
    expectStatus(res, 200);
    expect(res.body.weekStartsOn).toBe('SUNDAY');
  });

  it('POST and GET /organizations stay SUPER_ADMIN only', async () => {
    expectError(await t.request('GET', '/api/v1/organizations', { token: A.tokens.ADMIN }), 403, 'FORBIDDEN');
    expectError(await t.request('POST', '/api/v1/organizations', { token: A.tokens.ADMIN, body: { name: unique('Nope') } }), 403, 'FORBIDDEN');
  });
});

describe('refused PATCH bodies → 400 VALIDATION_FAILED naming the field, nothing changed', () => {
  let org: { id: string };
  let before: Record<string, unknown>;

  beforeAll(async () => {
    org = await freshOrganization();
    before = await stored(org.id);
  });
  afterEach(async () => expect(await stored(org.id)).toEqual(before));

  it.each([
    ['Mars/Olympus', 'Mars/Olympus'],
    ['UTC+5', 'UTC+5'],
    ['empty', ''],
    ['blank', ' '],
    ['surrounded by spaces', ' UTC '],
    ['lower case (Intl knows it, PostgreSQL does not)', 'america/new_york'],
    ['a space for the underscore', 'America/New York'],
    ['an offset', '+05:00'],
    ['65 characters', 'A'.repeat(65)],
    ['null', null],
    ['a number', 5],
    ['an array', ['UTC']],
  ])('timeZone %s → 400 naming timeZone', async (_label, timeZone) => {
    expectFields(await patch(root, org.id, { timeZone }), ['timeZone']);
    expectFields(await patch(A.tokens.ADMIN, A.id, { timeZone }), ['timeZone']);
  });

  it('a bad timeZone refuses the whole PATCH: the valid fields sent with it are not applied', async () => {
    expectFields(await patch(root, org.id, { name: 'Half Applied', lowUnitsPercent: 50, timeZone: 'Mars/Olympus' }), ['timeZone']);
    expectFields(await patch(root, org.id, { name: 'Half Applied', lowUnitsPercent: 50, timeZone: 'america/new_york' }), ['timeZone']);
  });

  it.each(['monday', 'TUESDAY', '', 'SATURDAY', null, 1, true])('weekStartsOn %j → 400 naming weekStartsOn', async (weekStartsOn) => {
    expectFields(await patch(root, org.id, { weekStartsOn }), ['weekStartsOn']);
  });

  it.each([0, 100, -1, 20.5, '20', null, true, 1e21])('lowUnitsPercent %j → 400 naming lowUnitsPercent', async (lowUnitsPercent) => {
    expectFields(await patch(root, org.id, { lowUnitsPercent }), ['lowUnitsPercent']);
  });

  it.each([0, 366, -30, 30.5, '30', null])('expiringWithinDays %j → 400 naming expiringWithinDays', async (expiringWithinDays) => {
    expectFields(await patch(root, org.id, { expiringWithinDays }), ['expiringWithinDays']);
  });

  it.each(['', '   ', 'x'.repeat(201), null, 7])('name %j → 400 naming name', async (name) => {
    expectFields(await patch(root, org.id, { name }), ['name']);
  });

  it.each([
    [{ foo: 1 }, ['foo']],
    [{ id: randomUUID() }, ['id']],
    [{ createdAt: '2026-01-01T00:00:00Z' }, ['createdAt']],
    [{ organizationId: randomUUID(), lowUnitsPercent: 30 }, ['organizationId']],
    [{ time_zone: 'UTC' }, ['time_zone']],
    [{ weekStartsOn: 'SUNDAY', week_starts_on: 'SUNDAY' }, ['week_starts_on']],
  ])('unknown field %j → 400 naming it (no mass assignment)', async (body, fields) => {
    expectFields(await patch(root, org.id, body), fields);
  });

  it('several bad fields are named together', async () => {
    expectFields(await patch(root, org.id, { weekStartsOn: 'FRIDAY', lowUnitsPercent: 0, expiringWithinDays: 0, timeZone: 'Mars/Olympus' }), [
      'weekStartsOn',
      'lowUnitsPercent',
      'expiringWithinDays',
      'timeZone',
    ]);
  });

  it('a body that is not an object → 400', async () => {
    for (const body of [[], 'UTC', 5]) expectError(await patch(root, org.id, body), 400, 'VALIDATION_FAILED');
  });
});

describe('the database refuses settings out of range even without the API', () => {
  it.each([
    ['week_starts_on', "'TUESDAY'", 'organizations_week_starts_on_check'],
    ['time_zone', "''", 'organizations_time_zone_check'],
    ['low_units_percent', '0', 'organizations_low_units_percent_check'],
    ['low_units_percent', '100', 'organizations_low_units_percent_check'],
    ['expiring_within_days', '0', 'organizations_expiring_within_days_check'],
    ['expiring_within_days', '366', 'organizations_expiring_within_days_check'],
  ])('%s = %s → %s', async (column, value, constraint) => {
    await expect(t.sql.query(`update organizations set ${column} = ${value} where id = $1`, [A.id])).rejects.toMatchObject({ constraint });
  });
});

// SPEC §10: WEEK caps count in weeks that start on the organization's weekStartsOn. Changing it
// moves every weekly bucket: refused (409 HAS_SCHEDULED_UNITS) while one holds SCHEDULED units;
// otherwise the weekly buckets are rebuilt from the CONSUMED reservations in the PATCH's
// transaction — refused (409 CAP_BELOW_HELD) when a regrouped week would exceed its cap.
describe('weekStartsOn and weekly caps', () => {
  /** A Sunday 8 to 14 days ago (inside the authorizations below: they start 30 days ago). */
  const sunday = (() => {
    for (let offset = -14; ; offset++) if (new Date(`${dayOffset(offset)}T00:00:00Z`).getUTCDay() === 0) return offset;
  })();
  const date = (days: number) => dayOffset(sunday + days);

  /** A fresh organization (with its ADMIN) and one authorization of it with a weekly cap, on the authorization or on its line. */
  async function cappedWorld(capUnits: number, on: 'authorization' | 'line', extraCaps: { period: string; units: number }[] = []) {
    const org = await createOrg(t.request, root, unique('Weeks'));
    const caps = [{ period: 'WEEK', units: capUnits }, ...extraCaps];
    const shape = on === 'authorization' ? { serviceCode: '97153', totalUnits: 100, caps } : { serviceCode: undefined, totalUnits: undefined, lines: [{ serviceCode: '97153', totalUnits: 100, caps }] };
    const auth = await createAuthorization(t.request, org.tokens.ADMIN, { startDate: dayOffset(-30), endDate: dayOffset(60), ...shape });
    const { rows } = await t.sql.query("select id, line_id from authorization_caps where authorization_id = $1 and period = 'WEEK'", [auth.id]);
    expect(rows).toHaveLength(1);
    expect(rows[0].line_id === null).toBe(on === 'authorization');
    return { org, authorizationId: auth.id as string, capId: rows[0].id as string };
  }

  const reserve = async (token: string, authorizationId: string, units: number, serviceDate: string) => {
    const res = await t.request('POST', `/api/v1/authorizations/${authorizationId}/reservations`, { token, body: { units, serviceDate } });
    expectStatus(res, 201);
    return res.body.reservation.id as string;
  };
  const consume = async (token: string, reservationId: string) => expectStatus(await t.request('POST', `/api/v1/reservations/${reservationId}/consume`, { token, body: {} }), 200);

  /** The cap's buckets: start, end, used and scheduled units. */
  const buckets = async (capId: string) =>
    (
      await t.sql.query(
        `select period_start::text as start, period_end::text as "end", used_units as used, scheduled_units as scheduled, cap_units as cap
         from cap_buckets where cap_id = $1 and (used_units > 0 or scheduled_units > 0) order by period_start`,
        [capId],
      )
    ).rows;

  it.each(['authorization', 'line'] as const)(
    'a weekly cap on the %s holding SCHEDULED units → 409 HAS_SCHEDULED_UNITS, nothing changed; once consumed → 200, its week regrouped',
    async (on) => {
      const { org, authorizationId, capId } = await cappedWorld(20, on);
      const admin = org.tokens.ADMIN;
      const reservationId = await reserve(admin, authorizationId, 5, date(0));
      // Weeks from Monday: the Sunday belongs to the week that began six days before.
      expect(await buckets(capId)).toEqual([{ start: date(-6), end: date(0), used: 0, scheduled: 5, cap: 20 }]);

      const before = await stored(org.id);
      for (const token of [admin, root]) {
        const refused = await patch(token, org.id, { weekStartsOn: 'SUNDAY', lowUnitsPercent: 50 });
        expectError(refused, 409, 'HAS_SCHEDULED_UNITS');
        expect(refused.body).toMatchObject({ scheduledUnits: 5 });
      }
      expect(await stored(org.id)).toEqual(before);
      expect(await buckets(capId)).toEqual([{ start: date(-6), end: date(0), used: 0, scheduled: 5, cap: 20 }]);
      // Other settings may still change, and weekStartsOn sent with its current value is no change.
      expectStatus(await patch(admin, org.id, { weekStartsOn: 'MONDAY', timeZone: 'America/New_York' }), 200);

      await consume(admin, reservationId);
      const res = await patch(admin, org.id, { weekStartsOn: 'SUNDAY' });
      expectStatus(res, 200);
      expect(res.body.weekStartsOn).toBe('SUNDAY');
      // Weeks from Sunday: the same 5 used units, in the week that begins on that Sunday.
      expect(await buckets(capId)).toEqual([{ start: date(0), end: date(6), used: 5, scheduled: 0, cap: 20 }]);
      expect((await t.sql.query("select count(*)::int as n from cap_buckets where cap_id = $1 and extract(dow from period_start) <> 0", [capId])).rows[0].n).toBe(0);

      // And back.
      expectStatus(await patch(admin, org.id, { weekStartsOn: 'MONDAY' }), 200);
      expect(await buckets(capId)).toEqual([{ start: date(-6), end: date(0), used: 5, scheduled: 0, cap: 20 }]);
    },
  );

  it('after the change, new reservations count in the new weeks', async () => {
    const { org, authorizationId, capId } = await cappedWorld(20, 'authorization');
    const admin = org.tokens.ADMIN;
    await consume(admin, await reserve(admin, authorizationId, 4, date(0)));
    expectStatus(await patch(admin, org.id, { weekStartsOn: 'SUNDAY' }), 200);
    await reserve(admin, authorizationId, 3, date(6));
    expect(await buckets(capId)).toEqual([{ start: date(0), end: date(6), used: 4, scheduled: 3, cap: 20 }]);
  });

  it('consumed units that a new week would put over its cap → 409 CAP_BELOW_HELD, nothing changed', async () => {
    // Sunday and the following Saturday: two weeks when they start on Monday, one when they start on Sunday.
    const { org, authorizationId, capId } = await cappedWorld(10, 'authorization');
    const admin = org.tokens.ADMIN;
    await consume(admin, await reserve(admin, authorizationId, 6, date(0)));
    await consume(admin, await reserve(admin, authorizationId, 6, date(6)));
    const held = [
      { start: date(-6), end: date(0), used: 6, scheduled: 0, cap: 10 },
      { start: date(1), end: date(7), used: 6, scheduled: 0, cap: 10 },
    ];
    expect(await buckets(capId)).toEqual(held);
    const before = await stored(org.id);
    const refused = await patch(admin, org.id, { weekStartsOn: 'SUNDAY' });
    expectError(refused, 409, 'CAP_BELOW_HELD');
    expect(refused.body).toMatchObject({ period: 'WEEK', capUnits: 10, heldUnits: 12, periodStart: date(0) });
    expect(await stored(org.id)).toEqual(before);
    expect(await buckets(capId)).toEqual(held);
  });

  it('day and month caps keep their buckets; only the weekly ones move', async () => {
    const { org, authorizationId } = await cappedWorld(20, 'authorization', [
      { period: 'DAY', units: 8 },
      { period: 'MONTH', units: 80 },
    ]);
    const admin = org.tokens.ADMIN;
    await consume(admin, await reserve(admin, authorizationId, 5, date(0)));
    const others = async () =>
      (
        await t.sql.query(
          "select b.* from cap_buckets b where b.authorization_id = $1 and b.period <> 'WEEK' order by b.period, b.period_start",
          [authorizationId],
        )
      ).rows;
    const before = await others();
    expect(before).toHaveLength(2);
    expectStatus(await patch(admin, org.id, { weekStartsOn: 'SUNDAY' }), 200);
    expect(await others()).toEqual(before);
  });

  it('a change racing with reservations: either it commits first (the reservations count in the new weeks) or it is refused (409 HAS_SCHEDULED_UNITS); the buckets always match the reservations', async () => {
    const outcomes = new Set<number>();
    // Who goes first, and how far ahead (ms): each side wins some rounds.
    for (const [first, delay] of [['reservations', 0], ['reservations', 5], ['change', 0], ['change', 3], ['change', 6], ['change', 12], ['change', 60]] as const) {
      const { org, authorizationId } = await cappedWorld(1000, 'authorization');
      const admin = org.tokens.ADMIN;
      const reserveAll = () =>
        Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            t.request('POST', `/api/v1/authorizations/${authorizationId}/reservations`, { token: admin, body: { units: 1, serviceDate: date(i % 7) } }),
          ),
        );
      const pause = () => new Promise((resolve) => setTimeout(resolve, delay));
      let change: Promise<HttpResult>;
      let reserved: HttpResult[];
      if (first === 'change') {
        change = patch(admin, org.id, { weekStartsOn: 'SUNDAY' });
        await pause();
        reserved = await reserveAll();
      } else {
        const reserving = reserveAll();
        await pause();
        change = patch(admin, org.id, { weekStartsOn: 'SUNDAY' });
        reserved = await reserving;
      }
      const changed = await change;
      for (const r of reserved) expectStatus(r, 201);
      if (changed.status === 200) expect((await stored(org.id)).weekStartsOn).toBe('SUNDAY');
      else {
        expectError(changed, 409, 'HAS_SCHEDULED_UNITS');
        expect((await stored(org.id)).weekStartsOn).toBe('MONDAY');
      }
      outcomes.add(changed.status);
      expect(await checkIntegrity(t.sql)).toEqual(INTACT);
    }
    // Both happen (measured: the rounds sent after the reservations mostly 409, those 6 ms or more ahead 200), but
    // timing decides which: only the pair of outcomes is asserted, the sequential tests above pin each one.
    expect([...outcomes].every((status) => status === 200 || status === 409)).toBe(true);
  });

  it("another organization's scheduled weekly units do not hold this one back", async () => {
    const busy = await cappedWorld(20, 'authorization');
    await reserve(busy.org.tokens.ADMIN, busy.authorizationId, 5, date(0));
    const idle = await cappedWorld(20, 'authorization');
    expectStatus(await patch(idle.org.tokens.ADMIN, idle.org.id, { weekStartsOn: 'SUNDAY' }), 200);
    expectError(await patch(busy.org.tokens.ADMIN, busy.org.id, { weekStartsOn: 'SUNDAY' }), 409, 'HAS_SCHEDULED_UNITS');
  });
});
