// Issue 11, point 1: one tenant's bad input must not fail other tenants' unit operations.
// A lane combines the queued commands of any organization into one transaction; the tests
// below make that happen every time — each lane of each instance is held busy while the mix
// arrives, so every request of the mix is queued and the lane's next batch holds A's and B's
// commands together — and check that A gets exactly the outcomes it would get alone.
import { UnitWriteFaults } from '../src/authorizations/unit-write-faults';
import { AuthorizationLanes, laneOf } from '../src/shared/transactions/authorization-lanes';
import { HttpResult } from './helpers/http';
import { checkIntegrity, INTACT } from './helpers/ledger-check';
import { startTestApp, TestApp } from './helpers/test-app';
import { createAuthorization, createOrg, metrics, metricValue, OrgWorld, rootToken } from './helpers/world';

/** PostgreSQL cannot store it: in UTC it is in year 10000 (accepted by validation before the fix). */
const UNSTORABLE = '9999-12-31T23:59:59-23:59';

describe('batch isolation: a bad request never fails its batch-mates', () => {
  let apps: TestApp[];
  let orgA: OrgWorld;
  let orgB: OrgWorld;

  beforeAll(async () => {
    const shared = { JWT_SECRET: 'batch-isolation-secret-0123456789abcdef' };
    const one = await startTestApp(shared);
    apps = [one, await startTestApp(shared, one.databaseUrl)];
    const root = await rootToken(one.request);
    orgA = await createOrg(one.request, root);
    orgB = await createOrg(one.request, root);
  });
  afterAll(async () => {
    for (const t of [...apps].reverse()) await t.close();
  });

  /** One authorization of `org` in each of the two lanes (lanes are chosen by a hash of the id). */
  async function oneInEachLane(org: OrgWorld, totalUnits: number): Promise<string[]> {
    const byLane = new Map<number, string>();
    while (byLane.size < 2) {
      const auth = await createAuthorization(apps[0].request, org.tokens.ADMIN, { totalUnits });
      if (!byLane.has(laneOf(auth.id))) byLane.set(laneOf(auth.id), auth.id);
    }
    return [byLane.get(0)!, byLane.get(1)!];
  }

  interface Mix {
    /** Requests of organization A: instance, lane key (an authorization id) and the call. */
    a: { app: number; laneOf: string; send: (t: TestApp) => Promise<HttpResult> }[];
    b: { app: number; laneOf: string; send: (t: TestApp) => Promise<HttpResult> }[];
  }

  /**
   * Sends the mix while both lanes of both instances are held busy, and lets them go once every
   * request is either queued in a lane or already answered (refused before it reached a lane:
   * while the lanes are held, a queued request cannot be answered). The lanes' next batches then
   * hold the whole mix.
   */
  async function sendHeld(mix: Mix): Promise<{ a: HttpResult[]; b: HttpResult[] }> {
    let release!: () => void;
    let released = false;
    const gate = new Promise<void>((resolve) => (release = () => ((released = true), resolve())));
    let accounted = 0;
    let allIn!: () => void;
    const arrived = new Promise<void>((resolve) => (allIn = resolve));
    const count = () => ++accounted === mix.a.length + mix.b.length && allIn();
    const held: Promise<unknown>[] = [];
    const spies = apps.map((t) => {
      const lanes = t.app.get(AuthorizationLanes);
      // One authorization id per lane that A's requests use (both lanes, see spread()).
      for (const id of new Map(mix.a.map((r) => [laneOf(r.laneOf), r.laneOf])).values()) held.push(lanes.run(id, () => gate));
      const submit = lanes.submit.bind(lanes);
      return jest.spyOn(lanes, 'submit').mockImplementation((id, command, runner) => {
        if (!released && 'caller' in (command as object)) count();
        return submit(id, command, runner);
      });
    });
    const send = (r: Mix['a'][number]) => r.send(apps[r.app]).then((res) => (released || count(), res));
    try {
      const a = Promise.all(mix.a.map(send));
      const b = Promise.all(mix.b.map(send));
      await arrived;
      release();
      await Promise.all(held);
      return { a: await a, b: await b };
    } finally {
      release();
      for (const spy of spies) spy.mockRestore();
    }
  }

  const reserve = (token: string, authorizationId: string, body: object) => (t: TestApp) =>
    t.request('POST', `/api/v1/authorizations/${authorizationId}/reservations`, { token, body });
  const act = (token: string, reservationId: string, action: 'release' | 'consume', body?: object) => (t: TestApp) =>
    t.request('POST', `/api/v1/reservations/${reservationId}/${action}`, { token, body });
  const statuses = (results: HttpResult[]) => results.reduce<Record<number, number>>((n, r) => ({ ...n, [r.status]: (n[r.status] ?? 0) + 1 }), {});
  const counters = async (ids: string[]) =>
    Promise.all(
      ids.map(async (id) => {
        const { body } = await apps[0].request('GET', `/api/v1/authorizations/${id}`, { token: orgA.tokens.VIEWER });
        return { usedUnits: body.usedUnits, scheduledUnits: body.scheduledUnits };
      }),
    );
  /** Request k of n goes to instance k % 2 and to lane (k >> 1) % 2: every instance and lane gets its share. */
  const spread = (k: number, ids: string[]) => ({ app: k % 2, laneOf: ids[(k >> 1) % 2] });
  /** B's unstorable reservations, spread over both instances and both lanes. */
  const attack = (authsB: string[]) =>
    Array.from({ length: 10 }, (_, k) => {
      const { app, laneOf: id } = spread(k, authsB);
      return { app, laneOf: id, send: reserve(orgB.tokens.PRACTITIONER, id, { units: 1, expiresAt: UNSTORABLE }) };
    });

  it("30 reservations of A beside 10 unstorable ones of B: A's are all 201, B's 400 naming expiresAt", async () => {
    const authsA = await oneInEachLane(orgA, 100);
    const authsB = await oneInEachLane(orgB, 100);
    const a = Array.from({ length: 30 }, (_, k) => {
      const { app, laneOf: id } = spread(k, authsA);
      return { app, laneOf: id, send: reserve(orgA.tokens.PRACTITIONER, id, { units: 1 }) };
    });

    const out = await sendHeld({ a, b: attack(authsB) });

    expect(statuses(out.a)).toEqual({ 201: 30 });
    expect(statuses(out.b)).toEqual({ 400: 10 });
    for (const r of out.b) {
      expect(r.body.code).toBe('VALIDATION_FAILED');
      expect(r.body.fields.map((f: { field: string }) => f.field)).toEqual(['expiresAt']);
    }
    // spread(): requests 0,1 on the first authorization, 2,3 on the second, …: 16 and 14.
    expect(await counters(authsA)).toEqual([{ usedUnits: 0, scheduledUnits: 16 }, { usedUnits: 0, scheduledUnits: 14 }]);
    expect(await checkIntegrity(apps[0].sql)).toEqual(INTACT);
  });

  it("30 releases and consumes of A beside 10 unstorable reservations of B: A's are all 200", async () => {
    const authsA = await oneInEachLane(orgA, 100);
    const authsB = await oneInEachLane(orgB, 100);
    const held: string[] = [];
    for (let k = 0; k < 30; k++) {
      const res = await apps[0].request('POST', `/api/v1/authorizations/${authsA[(k >> 1) % 2]}/reservations`, { token: orgA.tokens.PRACTITIONER, body: { units: 2 } });
      expect(res.status).toBe(201);
      held.push(res.body.reservation.id as string);
    }
    // Even k: release; odd k: consume 1 of the 2 units (CONSUME 1 + RELEASE 1).
    const a = held.map((id, k) => ({
      ...spread(k, authsA),
      send: k % 2 === 0 ? act(orgA.tokens.PRACTITIONER, id, 'release') : act(orgA.tokens.PRACTITIONER, id, 'consume', { units: 1 }),
    }));

    const out = await sendHeld({ a, b: attack(authsB) });

    expect(statuses(out.a)).toEqual({ 200: 30 });
    expect(out.a.map((r) => r.body.reservation.status)).toEqual(held.map((_, k) => (k % 2 === 0 ? 'RELEASED' : 'CONSUMED')));
    expect(statuses(out.b)).toEqual({ 400: 10 });
    // Each authorization had 15 reservations: 8 released and 7 consumed, or 7 and 8.
    const used = (auth: number) => held.filter((_, k) => (k >> 1) % 2 === auth && k % 2 === 1).length;
    expect(await counters(authsA)).toEqual([{ usedUnits: used(0), scheduledUnits: 0 }, { usedUnits: used(1), scheduledUnits: 0 }]);
    expect(await checkIntegrity(apps[0].sql)).toEqual(INTACT);
  });

  it("a write that fails in PostgreSQL (validation bypassed, test-only fault hook) fails only its own request: B's 10 get 500, A's 30 their solo outcomes", async () => {
    const authsA = await oneInEachLane(orgA, 100);
    const authsB = await oneInEachLane(orgB, 100);
    const held: string[] = [];
    for (let k = 0; k < 20; k++) {
      const res = await apps[0].request('POST', `/api/v1/authorizations/${authsA[(k >> 1) % 2]}/reservations`, { token: orgA.tokens.PRACTITIONER, body: { units: 2 } });
      expect(res.status).toBe(201);
      held.push(res.body.reservation.id as string);
    }
    // A: 10 reservations, 10 releases, 10 consumes of 1 unit; B: 10 reservations whose write fails.
    const a = Array.from({ length: 30 }, (_, k) => ({
      ...spread(k, authsA),
      send:
        k < 10 ? reserve(orgA.tokens.PRACTITIONER, spread(k, authsA).laneOf, { units: 1 })
        : act(orgA.tokens.PRACTITIONER, held[k - 10], k % 2 === 0 ? 'release' : 'consume', k % 2 === 0 ? undefined : { units: 1 }),
    }));
    const b = Array.from({ length: 10 }, (_, k) => ({ ...spread(k, authsB), send: reserve(orgB.tokens.PRACTITIONER, spread(k, authsB).laneOf, { units: 1, reference: 'inject-fault' }) }));
    const series = async () => {
      const texts = await Promise.all(apps.map((t) => metrics(t.request)));
      const sum = (name: string, labels: Record<string, string>) => texts.reduce((n, text) => n + metricValue(text, name, labels), 0);
      return Object.fromEntries(
        ['reserve', 'release', 'consume'].flatMap((operation) => [
          [`${operation} committed`, sum('unit_transactions_total', { operation, outcome: 'committed' })],
          [`${operation} failed`, sum('unit_transactions_total', { operation, outcome: 'failed' })],
          [`${operation} failures`, sum('unit_transaction_failures_total', { operation })],
        ]),
      );
    };
    const faults = apps.map((t) => t.app.get(UnitWriteFaults));
    for (const f of faults) f.failWritesOf((c) => c.kind === 'reserve' && c.reference === 'inject-fault');
    const before = await series();
    let out: { a: HttpResult[]; b: HttpResult[] };
    try {
      out = await sendHeld({ a, b });
    } finally {
      for (const f of faults) f.disarm();
    }
    const after = await series();

    expect(out.a.map((r) => r.status)).toEqual([...Array(10).fill(201), ...Array(20).fill(200)]);
    expect(out.a.slice(10).map((r) => r.body.reservation.status)).toEqual(held.map((_, k) => (k % 2 === 0 ? 'RELEASED' : 'CONSUMED')));
    expect(out.b.map((r) => [r.status, r.body.code])).toEqual(Array(10).fill([500, 'INTERNAL_ERROR']));
    // Each failure counts once, for its own request; A's all committed.
    const delta = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - before[k]]));
    expect(delta).toEqual({
      'reserve committed': 10, 'reserve failed': 10, 'reserve failures': 10,
      'release committed': 10, 'release failed': 0, 'release failures': 0,
      'consume committed': 10, 'consume failed': 0, 'consume failures': 0,
    });
    // A: 6 + 4 new reservations of 1 unit (spread()); of the 20 held (2 units each) 10 released and 10 consumed 1 of 2.
    const used = (auth: number) => held.filter((_, k) => (k >> 1) % 2 === auth && k % 2 === 1).length;
    expect(await counters(authsA)).toEqual([{ usedUnits: used(0), scheduledUnits: 6 }, { usedUnits: used(1), scheduledUnits: 4 }]);
    const bState = await Promise.all(authsB.map(async (id) => (await apps[0].request('GET', `/api/v1/authorizations/${id}`, { token: orgB.tokens.VIEWER })).body.scheduledUnits));
    expect(bState).toEqual([0, 0]);
    expect(await checkIntegrity(apps[0].sql)).toEqual(INTACT);
  });

  it('the fault hook cannot be armed outside NODE_ENV=test', () => {
    const production = new UnitWriteFaults({ ...apps[0].config, nodeEnv: 'production' });
    expect(() => production.failWritesOf(() => true)).toThrow('for tests only');
  });

  it.each([
    ['expiresAt', 'reservation', { units: 1, expiresAt: '9999-12-31T23:59:59-23:59' }],
    ['expiresAt', 'reservation', { units: 1, expiresAt: '0001-01-01T00:30:00+01:00' }],
    ['serviceDate', 'reservation', { units: 1, serviceDate: '0000-01-01' }],
    ['startDate', 'authorization', { startDate: '0000-01-01' }],
    ['endDate', 'authorization', { endDate: '0000-12-31' }],
  ])('400 VALIDATION_FAILED naming %s for a value PostgreSQL cannot store (%s %j)', async (field, target, body) => {
    const [auth] = await oneInEachLane(orgA, 10);
    const res =
      target === 'reservation'
        ? await apps[0].request('POST', `/api/v1/authorizations/${auth}/reservations`, { token: orgA.tokens.PRACTITIONER, body })
        : await apps[0].request('POST', '/api/v1/authorizations', {
            token: orgA.tokens.ADMIN,
            body: { patientId: 'p', authNumber: `AUTH-${field}-${Date.now()}`, serviceCode: '97153', totalUnits: 10, startDate: '2026-01-01', endDate: '2026-12-31', ...body },
          });
    expect([res.status, res.body.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(res.body.fields.map((f: { field: string }) => f.field)).toEqual([field]);
  });

  it('an expiresAt in the last storable second is accepted (9999-12-31T23:59:59+00:00 → 201)', async () => {
    const [auth] = await oneInEachLane(orgA, 10);
    const res = await apps[0].request('POST', `/api/v1/authorizations/${auth}/reservations`, {
      token: orgA.tokens.PRACTITIONER,
      body: { units: 1, expiresAt: '9999-12-31T23:59:59+00:00' },
    });
    expect(res.status).toBe(201);
    expect(res.body.reservation.expiresAt).toBe('9999-12-31T23:59:59.000Z');
  });
});
