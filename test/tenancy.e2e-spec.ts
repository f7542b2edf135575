// Every route against another organization's ids (SPEC §5: "404 for an object of another
// organization (never 403: existence is not disclosed)"; §6 tenant isolation, OWASP API1/BOLA).
// Two organizations A and B, each with ADMIN, PRACTITIONER and VIEWER. For every route taking an
// id, each role of A that the route otherwise allows gets 404 NOT_FOUND on B's object — the same
// answer as for an id that exists nowhere — and B's rows are byte-for-byte unchanged afterwards.
// Then: lists never show B's objects to A, mass assignment is refused, and a SUPER_ADMIN works in both.
import { randomUUID } from 'node:crypto';
import { Call, dbState, expectError, expectStatus, factories, unique, WEBHOOK_TEST_ENV } from './helpers/routes';
import { startTestApp, TestApp } from './helpers/test-app';
import { createOrg, dayOffset, OrgWorld, RoleName, rootToken } from './helpers/world';

let t: TestApp;
let root: string;
let A: OrgWorld;
let B: OrgWorld;
let fA: ReturnType<typeof factories>;
let fB: ReturnType<typeof factories>;
/** B's objects that the read routes look at (never changed by anyone). */
let sharedB: { authorizationId: string; patientId: string; reservationId: string };
let sharedBBefore: Awaited<ReturnType<typeof dbState>>;
/** A's own objects, for the list checks. */
let ownA: { authorizationIds: string[] };
/** SPEC §11: an API key of org A for each role (made by A's ADMIN). */
let aKeys: Record<RoleName, string>;

type Target = { authorizationId?: string; reservationId?: string; userId?: string; organizationId?: string; apiKeyId?: string; webhookId?: string };

interface TenancyRoute {
  route: string;
  /** The roles of org A this route allows on A's own objects (SPEC §5 "who"). */
  roles: RoleName[];
  /** B's object(s) for one cell: fresh ones for mutating routes. `id` is the one in the path. */
  target: () => Promise<{ id: string; parentId?: string; state: Target }>;
  /** `parentId`: the authorization in the path of a line route (the id is then the line's). */
  call: (id: string, parentId?: string) => Call;
}

const EVERY: RoleName[] = ['ADMIN', 'PRACTITIONER', 'VIEWER'];
const OPERATORS: RoleName[] = ['ADMIN', 'PRACTITIONER'];
const ADMIN_ONLY: RoleName[] = ['ADMIN'];

const sharedAuthorization = async () => ({ id: sharedB.authorizationId, state: { authorizationId: sharedB.authorizationId } });
const sharedReservation = async () => ({
  id: sharedB.reservationId,
  state: { authorizationId: sharedB.authorizationId, reservationId: sharedB.reservationId },
});
/** Fresh, with no unit activity: it could be patched, cancelled or deleted if the scope were missing. */
const freshAuthorization = async () => {
  const auth = await fB.authorization({ totalUnits: 40 });
  return { id: auth.id as string, state: { authorizationId: auth.id } };
};
const freshReservation = async () => {
  const { authorization, reservation } = await fB.reservation(6);
  return { id: reservation.id as string, state: { authorizationId: authorization.id, reservationId: reservation.id } };
};
/** SPEC §10: B's authorization of two lines (97153 with a weekly cap, 97155-HO); the path names its 97155-HO line. */
const freshLine = async () => {
  const auth = await fB.twoLineAuthorization();
  return { id: fB.lineOf(auth, '97155', ['HO']).id as string, parentId: auth.id as string, state: { authorizationId: auth.id } };
};
/** B's line, under an authorization of A's own: a line is found only in its own authorization. */
const freshLineUnderOwnAuthorization = async () => {
  const line = await freshLine();
  return { ...line, parentId: (await fA.twoLineAuthorization()).id as string };
};
const freshTwoLineAuthorization = async () => {
  const auth = await fB.twoLineAuthorization();
  return { id: auth.id as string, state: { authorizationId: auth.id } };
};
/** B itself (an ADMIN may read and change only their own organization). */
const organizationB = async () => ({ id: B.id, state: { organizationId: B.id } });
/** SPEC §11: B's API key (an ADMIN of A must not revoke it, nor learn it exists). */
const freshApiKey = async () => {
  const res = await t.request('POST', '/api/v1/api-keys', { token: B.tokens.ADMIN, body: { name: unique('b-key'), role: 'VIEWER' } });
  expectStatus(res, 201);
  return { id: res.body.id as string, state: { apiKeyId: res.body.id as string } };
};
/** SPEC §11: B's webhook endpoint (A's ADMIN must not read, change or delete it, nor learn it exists). */
const freshWebhook = async () => {
  const hook = await fB.webhook();
  return { id: hook.id, state: { webhookId: hook.id } };
};
const freshUser = async () => {
  const user = await fB.user('PRACTITIONER');
  return { id: user.id, state: { userId: user.id } };
};

const ROUTES: TenancyRoute[] = [
  { route: 'GET /authorizations/:id', roles: EVERY, target: sharedAuthorization, call: (id) => ({ method: 'GET', path: `/api/v1/authorizations/${id}` }) },
  {
    route: 'PATCH /authorizations/:id {totalUnits, notes, payer}',
    roles: ADMIN_ONLY,
    target: freshAuthorization,
    call: (id) => ({ method: 'PATCH', path: `/api/v1/authorizations/${id}`, body: { totalUnits: 400, notes: 'taken over', payer: 'Other' } }),
  },
  {
    route: 'PATCH /authorizations/:id {status: CANCELLED}',
    roles: ADMIN_ONLY,
    target: freshAuthorization,
    call: (id) => ({ method: 'PATCH', path: `/api/v1/authorizations/${id}`, body: { status: 'CANCELLED' } }),
  },
  { route: 'DELETE /authorizations/:id', roles: ADMIN_ONLY, target: freshAuthorization, call: (id) => ({ method: 'DELETE', path: `/api/v1/authorizations/${id}` }) },
  {
    route: 'POST /authorizations/:id/reservations',
    roles: OPERATORS,
    target: freshAuthorization,
    call: (id) => ({ method: 'POST', path: `/api/v1/authorizations/${id}/reservations`, body: { units: 5, serviceDate: dayOffset(0) } }),
  },
  {
    route: 'PATCH /authorizations/:id {caps}',
    roles: ADMIN_ONLY,
    target: freshAuthorization,
    call: (id) => ({ method: 'PATCH', path: `/api/v1/authorizations/${id}`, body: { caps: [{ period: 'DAY', units: 1 }, { period: 'WEEK', units: 2 }] } }),
  },
  {
    route: 'POST /authorizations/:id/lines',
    roles: ADMIN_ONLY,
    target: freshAuthorization,
    call: (id) => ({ method: 'POST', path: `/api/v1/authorizations/${id}/lines`, body: { serviceCode: '97155', modifiers: ['HO'], totalUnits: 10, caps: [{ period: 'DAY', units: 2 }] } }),
  },
  {
    route: 'PATCH /authorizations/:id/lines/:lineId {totalUnits, caps}',
    roles: ADMIN_ONLY,
    target: freshLine,
    call: (id, parentId) => ({ method: 'PATCH', path: `/api/v1/authorizations/${parentId}/lines/${id}`, body: { totalUnits: 400, caps: [{ period: 'MONTH', units: 1 }] } }),
  },
  {
    route: "PATCH /authorizations/:id/lines/:lineId (A's own authorization, B's line)",
    roles: ADMIN_ONLY,
    target: freshLineUnderOwnAuthorization,
    call: (id, parentId) => ({ method: 'PATCH', path: `/api/v1/authorizations/${parentId}/lines/${id}`, body: { totalUnits: 400 } }),
  },
  {
    route: 'POST /authorizations/:id/reservations {serviceCode, modifiers}',
    roles: OPERATORS,
    target: freshTwoLineAuthorization,
    call: (id) => ({ method: 'POST', path: `/api/v1/authorizations/${id}/reservations`, body: { units: 2, serviceCode: '97155', modifiers: ['HO'], serviceDate: dayOffset(0) } }),
  },
  {
    route: 'GET /authorizations/:id/reservations',
    roles: EVERY,
    target: sharedAuthorization,
    call: (id) => ({ method: 'GET', path: `/api/v1/authorizations/${id}/reservations` }),
  },
  { route: 'GET /authorizations/:id/ledger', roles: EVERY, target: sharedAuthorization, call: (id) => ({ method: 'GET', path: `/api/v1/authorizations/${id}/ledger` }) },
  { route: 'GET /authorizations/:id/utilization', roles: EVERY, target: sharedAuthorization, call: (id) => ({ method: 'GET', path: `/api/v1/authorizations/${id}/utilization` }) },
  { route: 'GET /reservations/:id', roles: EVERY, target: sharedReservation, call: (id) => ({ method: 'GET', path: `/api/v1/reservations/${id}` }) },
  {
    route: 'POST /reservations/:id/consume {units}',
    roles: OPERATORS,
    target: freshReservation,
    call: (id) => ({ method: 'POST', path: `/api/v1/reservations/${id}/consume`, body: { units: 4 } }),
  },
  { route: 'POST /reservations/:id/consume (all)', roles: OPERATORS, target: freshReservation, call: (id) => ({ method: 'POST', path: `/api/v1/reservations/${id}/consume` }) },
  { route: 'POST /reservations/:id/release', roles: OPERATORS, target: freshReservation, call: (id) => ({ method: 'POST', path: `/api/v1/reservations/${id}/release` }) },
  {
    route: 'PATCH /reservations/:id {units, serviceDate}',
    roles: OPERATORS,
    target: freshReservation,
    call: (id) => ({ method: 'PATCH', path: `/api/v1/reservations/${id}`, body: { units: 1, serviceDate: dayOffset(1) } }),
  },
  { route: 'GET /organizations/:id', roles: ADMIN_ONLY, target: organizationB, call: (id) => ({ method: 'GET', path: `/api/v1/organizations/${id}` }) },
  {
    route: 'PATCH /organizations/:id {name, timeZone, weekStartsOn, lowUnitsPercent}',
    roles: ADMIN_ONLY,
    target: organizationB,
    call: (id) => ({ method: 'PATCH', path: `/api/v1/organizations/${id}`, body: { name: 'Taken Over', timeZone: 'America/New_York', weekStartsOn: 'SUNDAY', lowUnitsPercent: 90 } }),
  },
  { route: 'PATCH /users/:id {role}', roles: ADMIN_ONLY, target: freshUser, call: (id) => ({ method: 'PATCH', path: `/api/v1/users/${id}`, body: { role: 'VIEWER' } }) },
  { route: 'PATCH /users/:id {active: false}', roles: ADMIN_ONLY, target: freshUser, call: (id) => ({ method: 'PATCH', path: `/api/v1/users/${id}`, body: { active: false } }) },
  { route: 'DELETE /api-keys/:id', roles: ADMIN_ONLY, target: freshApiKey, call: (id) => ({ method: 'DELETE', path: `/api/v1/api-keys/${id}` }) },
  { route: 'GET /webhooks/:id', roles: ADMIN_ONLY, target: freshWebhook, call: (id) => ({ method: 'GET', path: `/api/v1/webhooks/${id}` }) },
  { route: 'GET /webhooks/:id/deliveries', roles: ADMIN_ONLY, target: freshWebhook, call: (id) => ({ method: 'GET', path: `/api/v1/webhooks/${id}/deliveries` }) },
  {
    route: 'PATCH /webhooks/:id {enabled, events, description}',
    roles: ADMIN_ONLY,
    target: freshWebhook,
    call: (id) => ({ method: 'PATCH', path: `/api/v1/webhooks/${id}`, body: { enabled: false, events: ['authorization.expired'], description: 'taken over' } }),
  },
  {
    route: 'PATCH /webhooks/:id {url}',
    roles: ADMIN_ONLY,
    target: freshWebhook,
    call: (id) => ({ method: 'PATCH', path: `/api/v1/webhooks/${id}`, body: { url: 'http://127.0.0.1:9/stolen' } }),
  },
  { route: 'DELETE /webhooks/:id', roles: ADMIN_ONLY, target: freshWebhook, call: (id) => ({ method: 'DELETE', path: `/api/v1/webhooks/${id}` }) },
];

const CELLS = ROUTES.flatMap((route) => route.roles.map((role) => ({ route, role })));

const send = (token: string, call: Call) => t.request(call.method, call.path, { token, body: call.body });
const tally = async (query: string, params: unknown[]) => (await t.sql.query(query, params)).rows[0].n as number;

beforeAll(async () => {
  t = await startTestApp(WEBHOOK_TEST_ENV);
  root = await rootToken(t.request);
  A = await createOrg(t.request, root, unique('OrgA'));
  B = await createOrg(t.request, root, unique('OrgB'));
  fA = factories(t.request, A);
  fB = factories(t.request, B);
  const { authorization, reservation } = await fB.reservation(4);
  sharedB = { authorizationId: authorization.id, patientId: authorization.patientId, reservationId: reservation.id };
  sharedBBefore = await dbState(t.sql, { ...sharedB, userId: B.userIds.PRACTITIONER });
  ownA = { authorizationIds: [(await fA.reservation(2)).authorization.id, (await fA.authorization()).id] };
  aKeys = {} as Record<RoleName, string>;
  for (const role of EVERY) {
    const res = await t.request('POST', '/api/v1/api-keys', { token: A.tokens.ADMIN, body: { name: unique(`a-key-${role}`), role } });
    expectStatus(res, 201);
    aKeys[role] = res.body.key;
  }
});
afterAll(() => t?.close());

describe("tenancy: every id route against another organization's object → 404 NOT_FOUND", () => {
  it(`covers every id-taking route (${ROUTES.length} calls, ${CELLS.length} cells)`, () => {
    expect(new Set(ROUTES.map((r) => r.route.split(' ').slice(0, 2).join(' ')))).toEqual(
      new Set([
        'GET /authorizations/:id',
        'PATCH /authorizations/:id',
        'DELETE /authorizations/:id',
        'POST /authorizations/:id/reservations',
        'GET /authorizations/:id/reservations',
        'GET /authorizations/:id/ledger',
        'GET /authorizations/:id/utilization',
        'GET /reservations/:id',
        'POST /reservations/:id/consume',
        'POST /reservations/:id/release',
        'PATCH /reservations/:id',
        'POST /authorizations/:id/lines',
        'PATCH /authorizations/:id/lines/:lineId',
        'PATCH /users/:id',
        'GET /organizations/:id',
        'PATCH /organizations/:id',
        'DELETE /api-keys/:id',
        'GET /webhooks/:id',
        'GET /webhooks/:id/deliveries',
        'PATCH /webhooks/:id',
        'DELETE /webhooks/:id',
      ]),
    );
  });

  it.each(CELLS.map((c) => [c.role, c.route.route, c]))("A's %s × %s on B's object → 404 NOT_FOUND, B unchanged", async (_role, _route, { route, role }) => {
    const { id, parentId, state } = await route.target();
    const before = await dbState(t.sql, state);

    const res = await send(A.tokens[role], route.call(id, parentId));
    expectError(res, 404, 'NOT_FOUND');
    expect(await dbState(t.sql, state)).toEqual(before);

    // Indistinguishable from an id that exists nowhere: existence is not disclosed.
    const nowhere = await send(A.tokens[role], route.call(randomUUID(), parentId));
    expectError(nowhere, 404, 'NOT_FOUND');
    expect(res.body).toEqual(nowhere.body);
  });

  // SPEC §11: a machine client of A (an API key with the same role) is held to the same scope.
  it.each(CELLS.map((c) => [c.role, c.route.route, c]))("A's %s API key × %s on B's object → 404 NOT_FOUND, B unchanged", async (_role, _route, { route, role }) => {
    const { id, parentId, state } = await route.target();
    const before = await dbState(t.sql, state);
    expectError(await send(aKeys[role], route.call(id, parentId)), 404, 'NOT_FOUND');
    expect(await dbState(t.sql, state)).toEqual(before);
  });

  // POST /reservations takes no id: it picks among the caller's organization's authorizations of the
  // patient (SPEC §10). B's patient, B's code: nothing of A's is eligible and B's is not even a candidate.
  it.each(OPERATORS)("A's %s × POST /reservations {patientId, serviceCode of B's authorization} → 409 NO_AUTHORIZATION_AVAILABLE, no candidates, B unchanged", async (role) => {
    const auth = await fB.twoLineAuthorization({ patientId: unique('patient-b') });
    const before = await dbState(t.sql, { authorizationId: auth.id });
    const res = await send(A.tokens[role], { method: 'POST', path: '/api/v1/reservations', body: { patientId: auth.patientId, serviceCode: '97153', units: 1, serviceDate: dayOffset(0) } });
    expectError(res, 409, 'NO_AUTHORIZATION_AVAILABLE');
    expect(res.body.candidates).toEqual([]);
    expect(JSON.stringify(res.body)).not.toContain(auth.id);
    expect(await dbState(t.sql, { authorizationId: auth.id })).toEqual(before);
    // B's own PRACTITIONER is given it: the request itself was fine.
    const own = await send(B.tokens.PRACTITIONER, { method: 'POST', path: '/api/v1/reservations', body: { patientId: auth.patientId, serviceCode: '97153', units: 1, serviceDate: dayOffset(0) } });
    expectStatus(own, 201);
    expect(own.body.reservation.authorizationId).toBe(auth.id);
  });

  it("B's own ADMIN still sees its shared objects exactly as created", async () => {
    expect(await dbState(t.sql, { ...sharedB, userId: B.userIds.PRACTITIONER })).toEqual(sharedBBefore);
    const auth = await t.request('GET', `/api/v1/authorizations/${sharedB.authorizationId}`, { token: B.tokens.ADMIN });
    expectStatus(auth, 200);
    expect(auth.body).toMatchObject({ totalUnits: 50, usedUnits: 0, scheduledUnits: 4, availableUnits: 46, status: 'ACTIVE', notes: null });
    const ledger = await t.request('GET', `/api/v1/authorizations/${sharedB.authorizationId}/ledger`, { token: B.tokens.ADMIN });
    expect(ledger.body.items.map((e: { type: string; units: number }) => `${e.type}:${e.units}`)).toEqual(['RESERVE:4']);
    const reservation = await t.request('GET', `/api/v1/reservations/${sharedB.reservationId}`, { token: B.tokens.ADMIN });
    expect(reservation.body).toMatchObject({ status: 'SCHEDULED', units: 4, consumedUnits: 0 });
  });

  it("no row of B was ever written by a user of A (reservations, ledger, authorizations)", async () => {
    const aUsers = Object.values(A.userIds);
    expect(await tally('select count(*)::int as n from reservations where organization_id = $1 and created_by = any($2)', [B.id, aUsers])).toBe(0);
    expect(
      await tally(
        'select count(*)::int as n from ledger_entries l join authorizations a on a.id = l.authorization_id where a.organization_id = $1 and l.actor_id = any($2)',
        [B.id, aUsers],
      ),
    ).toBe(0);
    expect(await tally("select count(*)::int as n from authorizations where organization_id = $1 and (status <> 'ACTIVE' or notes is not null or used_units <> 0)", [B.id])).toBe(0);
    expect(await tally("select count(*)::int as n from users where organization_id = $1 and (not active or role <> 'PRACTITIONER') and id <> all($2)", [B.id, Object.values(B.userIds)])).toBe(0);
  });
});

describe("tenancy: lists of org A never include org B's objects", () => {
  const isA = (items: { organizationId: string }[]) => items.every((i) => i.organizationId === A.id);

  it.each(['ADMIN', 'PRACTITIONER', 'VIEWER'] as RoleName[])("A's %s × GET /authorizations?limit=100 → 200, only A's", async (role) => {
    const res = await t.request('GET', '/api/v1/authorizations?limit=100', { token: A.tokens[role] });
    expectStatus(res, 200);
    const ids = res.body.items.map((a: { id: string }) => a.id);
    expect(ids).toEqual(expect.arrayContaining(ownA.authorizationIds));
    expect(ids).not.toContain(sharedB.authorizationId);
    expect(isA(res.body.items)).toBe(true);
    expect(res.body.nextCursor).toBeNull();
  });

  it.each(['ADMIN', 'PRACTITIONER', 'VIEWER'] as RoleName[])("A's %s × GET /authorizations?patientId=<B's patient> → 200, no items", async (role) => {
    const res = await t.request('GET', `/api/v1/authorizations?patientId=${sharedB.patientId}`, { token: A.tokens[role] });
    expectStatus(res, 200);
    expect(res.body).toEqual({ items: [], nextCursor: null });
  });

  // The filter is SUPER_ADMIN's: for anyone else it is refused (400), never silently ignored — not even their own organization's id.
  it.each((['ADMIN', 'PRACTITIONER', 'VIEWER'] as RoleName[]).flatMap((role) => [
    [role, '/authorizations', 'B'],
    [role, '/authorizations', 'A'],
    ...(role === 'ADMIN' ? [[role, '/users', 'B'], [role, '/users', 'A']] : []),
    ...(role !== 'PRACTITIONER' ? [[role, '/events', 'B'], [role, '/events', 'A']] : []),
  ]) as [RoleName, string, 'A' | 'B'][])("A's %s × GET %s?organizationId=<%s> → 400 VALIDATION_FAILED naming organizationId", async (role, path, org) => {
    const res = await t.request('GET', `/api/v1${path}?organizationId=${(org === 'A' ? A : B).id}`, { token: A.tokens[role] });
    expectStatus(res, 400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.fields).toEqual([{ field: 'organizationId', message: 'organizationId is a filter for SUPER_ADMIN only; your lists always show your own organization' }]);
  });

  it.each(['ADMIN', 'PRACTITIONER', 'VIEWER'] as RoleName[])("A's %s × GET /utilization?patientId=<B's patient> → 200, no items; unfiltered, only A's", async (role) => {
    const res = await t.request('GET', `/api/v1/utilization?patientId=${sharedB.patientId}`, { token: A.tokens[role] });
    expectStatus(res, 200);
    expect(res.body).toEqual({ items: [], nextCursor: null });
    const all = await t.request('GET', '/api/v1/utilization?limit=100', { token: A.tokens[role] });
    expectStatus(all, 200);
    const ids = all.body.items.map((u: { authorizationId: string }) => u.authorizationId);
    expect(ids).toEqual(expect.arrayContaining(ownA.authorizationIds));
    expect(ids).not.toContain(sharedB.authorizationId);
  });

  // SPEC §11 change feed: events of both organizations written straight into the outbox; A's readers get A's only.
  it.each(['ADMIN', 'VIEWER'] as RoleName[])("A's %s × GET /events → 200, only A's events, whatever the cursor; SUPER_ADMIN ?organizationId=<B> → only B's", async (role) => {
    const ids = { A: randomUUID(), B: randomUUID() };
    await t.sql.query(
      `insert into events (id, type, organization_id, data) values ($1, 'authorization.updated', $2, '{}'), ($3, 'authorization.updated', $4, '{}')`,
      [ids.A, A.id, ids.B, B.id],
    );
    const feed = async (token: string, query = '') => {
      const items: { id: string; organizationId: string }[] = [];
      for (let after: string | undefined, n = 100; n === 100; ) {
        const res = await t.request('GET', `/api/v1/events?limit=100${after ? `&after=${after}` : ''}${query}`, { token });
        expectStatus(res, 200);
        items.push(...res.body.items);
        [after, n] = [res.body.nextCursor, res.body.items.length];
      }
      return items;
    };
    const seen = await feed(A.tokens[role]);
    expect(seen.map((e) => e.id)).toContain(ids.A);
    expect(seen.filter((e) => e.organizationId !== A.id)).toEqual([]);
    const ofB = await feed(root, `&organizationId=${B.id}`);
    expect(ofB.map((e) => e.id)).toContain(ids.B);
    expect(ofB.filter((e) => e.organizationId !== B.id)).toEqual([]);
  });

  it("A's ADMIN (and A's ADMIN API key) × GET /api-keys → 200, only A's keys; ?organizationId=<B> → 400", async () => {
    const bKey = await freshApiKey();
    for (const token of [A.tokens.ADMIN, aKeys.ADMIN]) {
      const res = await t.request('GET', '/api/v1/api-keys', { token });
      expectStatus(res, 200);
      expect(res.body.items.map((k: { id: string }) => k.id)).not.toContain(bKey.id);
      expect(res.body.items.length).toBeGreaterThanOrEqual(3);
      expect(isA(res.body.items)).toBe(true);
      expectError(await t.request('GET', `/api/v1/api-keys?organizationId=${B.id}`, { token }), 400, 'VALIDATION_FAILED');
    }
  });

  it("A's ADMIN (and A's ADMIN API key) × GET /webhooks → 200, only A's endpoints", async () => {
    const mine = await fA.webhook();
    const theirs = await fB.webhook();
    for (const token of [A.tokens.ADMIN, aKeys.ADMIN]) {
      const res = await send(token, { method: 'GET', path: '/api/v1/webhooks' });
      expectStatus(res, 200);
      const ids = res.body.items.map((w: { id: string }) => w.id);
      expect(ids).toContain(mine.id);
      expect(ids).not.toContain(theirs.id);
      expect(res.body.items.filter((w: { organizationId: string }) => w.organizationId !== A.id)).toEqual([]);
    }
  });

  it("A's ADMIN × GET /users → 200, only A's users", async () => {
    const res = await t.request('GET', '/api/v1/users', { token: A.tokens.ADMIN });
    expectStatus(res, 200);
    const ids = res.body.items.map((u: { id: string }) => u.id);
    expect(ids).toEqual(expect.arrayContaining(Object.values(A.userIds)));
    for (const id of Object.values(B.userIds)) expect(ids).not.toContain(id);
    expect(isA(res.body.items)).toBe(true);
  });
});

describe('tenancy: mass assignment', () => {
  const authorizationBody = () => ({
    patientId: unique('patient'),
    authNumber: unique('AUTH'),
    serviceCode: '97153',
    totalUnits: 20,
    startDate: dayOffset(-1),
    endDate: dayOffset(30),
  });
  const withAuthNumber = (authNumber: string) => tally('select count(*)::int as n from authorizations where auth_number = $1', [authNumber]);

  it("A's ADMIN × POST /api-keys with organizationId of B → 403 FORBIDDEN, no key created", async () => {
    const name = unique('smuggled-key');
    expectError(await t.request('POST', '/api/v1/api-keys', { token: A.tokens.ADMIN, body: { name, role: 'ADMIN', organizationId: B.id } }), 403, 'FORBIDDEN');
    expect(await tally('select count(*)::int as n from api_keys where name = $1', [name])).toBe(0);
  });

  it("A's ADMIN × POST /authorizations with organizationId of B → 403 FORBIDDEN, nothing created", async () => {
    const body = { ...authorizationBody(), organizationId: B.id };
    const res = await t.request('POST', '/api/v1/authorizations', { token: A.tokens.ADMIN, body });
    expectError(res, 403, 'FORBIDDEN');
    expect(await withAuthNumber(body.authNumber)).toBe(0);
  });

  it.each([
    ['usedUnits', 5],
    ['scheduledUnits', 5],
    ['availableUnits', 1],
    ['id', '00000000-0000-4000-8000-000000000001'],
    ['createdAt', '2020-01-01T00:00:00.000Z'],
  ])("A's ADMIN × POST /authorizations with %s → 400 VALIDATION_FAILED, nothing created", async (field, value) => {
    const body = { ...authorizationBody(), [field]: value };
    const res = await t.request('POST', '/api/v1/authorizations', { token: A.tokens.ADMIN, body });
    expectError(res, 400, 'VALIDATION_FAILED');
    expect(res.body.fields).toContainEqual(expect.objectContaining({ field }));
    expect(await withAuthNumber(body.authNumber)).toBe(0);
  });

  const PATCH_SMUGGLED: [string, () => unknown][] = [
    ['usedUnits', () => 0],
    ['scheduledUnits', () => 0],
    ['availableUnits', () => 1000],
    ['organizationId', () => B.id],
    ['id', () => randomUUID()],
    ['authNumber', () => 'AUTH-TAKEN-OVER'],
    ['patientId', () => 'someone-else'],
    ['startDate', () => dayOffset(-300)],
    ['createdAt', () => '2020-01-01T00:00:00.000Z'],
  ];

  it.each(PATCH_SMUGGLED)("A's ADMIN × PATCH /authorizations/:id (own) with notes + %s → 400 VALIDATION_FAILED, nothing changed", async (field, value) => {
    const { authorization } = await fA.reservation(3);
    const before = await dbState(t.sql, { authorizationId: authorization.id });
    const res = await t.request('PATCH', `/api/v1/authorizations/${authorization.id}`, {
      token: A.tokens.ADMIN,
      body: { notes: 'smuggled', [field]: value() },
    });
    expectError(res, 400, 'VALIDATION_FAILED');
    expect(res.body.fields).toContainEqual(expect.objectContaining({ field }));
    expect(await dbState(t.sql, { authorizationId: authorization.id })).toEqual(before);
  });

  const RESERVE_SMUGGLED: [string, () => unknown][] = [
    ['status', () => 'CONSUMED'],
    ['consumedUnits', () => 3],
    ['usedUnits', () => 0],
    ['scheduledUnits', () => 0],
    ['organizationId', () => B.id],
    ['authorizationId', () => sharedB.authorizationId],
    ['createdBy', () => B.userIds.ADMIN],
    ['id', () => randomUUID()],
  ];

  it.each(RESERVE_SMUGGLED)("A's PRACTITIONER × POST /authorizations/:id/reservations (own) with %s → 400 VALIDATION_FAILED, nothing changed", async (field, value) => {
    const auth = await fA.authorization({ totalUnits: 30 });
    const before = await dbState(t.sql, { authorizationId: auth.id });
    const bBefore = await dbState(t.sql, { authorizationId: sharedB.authorizationId });
    const res = await t.request('POST', `/api/v1/authorizations/${auth.id}/reservations`, {
      token: A.tokens.PRACTITIONER,
      body: { units: 3, [field]: value() },
    });
    expectError(res, 400, 'VALIDATION_FAILED');
    expect(res.body.fields).toContainEqual(expect.objectContaining({ field }));
    expect(await dbState(t.sql, { authorizationId: auth.id })).toEqual(before);
    expect(await dbState(t.sql, { authorizationId: sharedB.authorizationId })).toEqual(bBefore);
  });

  it.each([
    ['status', 'RELEASED'],
    ['consumedUnits', 1],
    ['usedUnits', 0],
  ])("A's PRACTITIONER × POST /reservations/:id/consume (own) with units + %s → 400 VALIDATION_FAILED, nothing changed", async (field, value) => {
    const { authorization, reservation } = await fA.reservation(4);
    const state = { authorizationId: authorization.id, reservationId: reservation.id };
    const before = await dbState(t.sql, state);
    const res = await t.request('POST', `/api/v1/reservations/${reservation.id}/consume`, {
      token: A.tokens.PRACTITIONER,
      body: { units: 2, [field]: value },
    });
    expectError(res, 400, 'VALIDATION_FAILED');
    expect(res.body.fields).toContainEqual(expect.objectContaining({ field }));
    expect(await dbState(t.sql, state)).toEqual(before);
  });

  it.each([
    ['organizationId', () => B.id],
    ['email', () => 'moved@example.com'],
    ['password', () => 'new-password-123456'],
  ])("A's ADMIN × PATCH /users/:id (own org) with %s → 400 VALIDATION_FAILED, nothing changed", async (field, value) => {
    const user = await fA.user('VIEWER');
    const before = await dbState(t.sql, { userId: user.id });
    const res = await t.request('PATCH', `/api/v1/users/${user.id}`, { token: A.tokens.ADMIN, body: { role: 'PRACTITIONER', [field]: value() } });
    expectError(res, 400, 'VALIDATION_FAILED');
    expect(res.body.fields).toContainEqual(expect.objectContaining({ field }));
    expect(await dbState(t.sql, { userId: user.id })).toEqual(before);
  });
});

describe('tenancy: a SUPER_ADMIN reads and operates in both organizations', () => {
  const orgs = () => ({ A: { org: A, f: fA }, B: { org: B, f: fB } });

  it.each(['A', 'B'] as const)('SUPER_ADMIN × GET /authorizations/:id of org %s → 200', async (name) => {
    const { org, f } = orgs()[name];
    const auth = await f.authorization();
    const res = await t.request('GET', `/api/v1/authorizations/${auth.id}`, { token: root });
    expectStatus(res, 200);
    expect(res.body).toMatchObject({ id: auth.id, organizationId: org.id });
  });

  it.each(['A', 'B'] as const)('SUPER_ADMIN × reserve, consume and release in org %s → 201, 200, 200', async (name) => {
    const { org, f } = orgs()[name];
    const auth = await f.authorization({ totalUnits: 20 });
    const r1 = await t.request('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token: root, body: { units: 5 } });
    expectStatus(r1, 201);
    const r2 = await t.request('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token: root, body: { units: 6 } });
    expectStatus(r2, 201);
    expectStatus(await t.request('POST', `/api/v1/reservations/${r1.body.reservation.id}/consume`, { token: root, body: { units: 4 } }), 200);
    const released = await t.request('POST', `/api/v1/reservations/${r2.body.reservation.id}/release`, { token: root });
    expectStatus(released, 200);
    expect(released.body.authorization).toMatchObject({ organizationId: org.id, totalUnits: 20, usedUnits: 4, scheduledUnits: 0, availableUnits: 16 });
    const reservations = await t.request('GET', `/api/v1/authorizations/${auth.id}/reservations`, { token: org.tokens.VIEWER });
    expect(reservations.body.items.map((r: { status: string }) => r.status).sort()).toEqual(['CONSUMED', 'RELEASED']);
  });

  it.each(['A', 'B'] as const)('SUPER_ADMIN × PATCH /authorizations/:id and PATCH /users/:id of org %s → 200', async (name) => {
    const { org, f } = orgs()[name];
    const auth = await f.authorization({ totalUnits: 20 });
    const patched = await t.request('PATCH', `/api/v1/authorizations/${auth.id}`, { token: root, body: { totalUnits: 25 } });
    expectStatus(patched, 200);
    expect(patched.body).toMatchObject({ organizationId: org.id, totalUnits: 25 });
    const user = await f.user('VIEWER');
    const role = await t.request('PATCH', `/api/v1/users/${user.id}`, { token: root, body: { role: 'PRACTITIONER' } });
    expectStatus(role, 200);
    expect(role.body).toMatchObject({ id: user.id, organizationId: org.id, role: 'PRACTITIONER' });
  });

  it.each(['A', 'B'] as const)('SUPER_ADMIN × GET /users and /authorizations ?organizationId=<org %s> → 200, only that org', async (name) => {
    const { org } = orgs()[name];
    const users = await t.request('GET', `/api/v1/users?organizationId=${org.id}`, { token: root });
    expectStatus(users, 200);
    expect(users.body.items.map((u: { id: string }) => u.id)).toEqual(expect.arrayContaining(Object.values(org.userIds)));
    expect(users.body.items.every((u: { organizationId: string }) => u.organizationId === org.id)).toBe(true);
    const auths = await t.request('GET', `/api/v1/authorizations?limit=100&organizationId=${org.id}`, { token: root });
    expectStatus(auths, 200);
    expect(auths.body.items.length).toBeGreaterThan(0);
    expect(auths.body.items.every((a: { organizationId: string }) => a.organizationId === org.id)).toBe(true);
  });
});
