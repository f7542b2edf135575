// SPEC §11 events written by the changes themselves (the outbox): every unit operation and every
// change of an authorization, the low_units / exhausted crossings (once per downward crossing), and
// the sweep's expiring / expired (once). Read back through the change feed, GET /api/v1/events.
import { randomBytes } from 'node:crypto';
import { AuthorizationDeadlines } from '../src/authorizations/authorization-deadlines.service';
import { checkIntegrity, INTACT } from './helpers/ledger-check';
import { expectStatus } from './helpers/routes';
import { startTestApp, TestApp } from './helpers/test-app';
import { createOrg, dayOffset, OrgWorld, rootToken, startAppWithOrg } from './helpers/world';

let t: TestApp;
let org: OrgWorld;

beforeAll(async () => ({ t, org } = await startAppWithOrg()));
afterAll(() => t.close());

interface FeedEvent {
  id: string;
  type: string;
  organizationId: string;
  occurredAt: string;
  data: Record<string, any>;
}

/** Every event of the organization, following the feed from the start. */
async function feed(world: OrgWorld = org, app: TestApp = t): Promise<FeedEvent[]> {
  const events: FeedEvent[] = [];
  let after: string | undefined;
  for (;;) {
    const res = await app.request('GET', `/api/v1/events?limit=100${after ? `&after=${after}` : ''}`, { token: world.tokens.ADMIN });
    expectStatus(res, 200);
    events.push(...res.body.items);
    if (res.body.items.length < 100) return events;
    after = res.body.nextCursor;
  }
}

/** The events about one authorization (its own, and its reservations'), as [type, lineId?] pairs. */
const about = (events: FeedEvent[], authorizationId: string) =>
  events.filter((e) => e.data.id === authorizationId || e.data.authorizationId === authorizationId);
const types = (events: FeedEvent[]) => events.map((e) => (e.type === 'authorization.low_units' ? `${e.type}:${e.data.lineId ?? 'pool'}` : e.type));

async function create(body: Record<string, unknown>, world: OrgWorld = org, app: TestApp = t) {
  const res = await app.request('POST', '/api/v1/authorizations', {
    token: world.tokens.ADMIN,
    body: { patientId: `p-${randomBytes(3).toString('hex')}`, authNumber: `EV-${randomBytes(4).toString('hex')}`, ...PERIOD, ...body },
  });
  expectStatus(res, 201);
  return res.body;
}
// Around today and far from its end: no expiring/expired event from the sweep meanwhile.
const PERIOD = { startDate: dayOffset(-30), endDate: dayOffset(200) };
const DAY = dayOffset(1);
const reserve = (authId: string, units: number, extra: Record<string, unknown> = {}) =>
  t.request('POST', `/api/v1/authorizations/${authId}/reservations`, { token: org.tokens.PRACTITIONER, body: { units, serviceDate: DAY, ...extra } });
const act = (reservationId: string, action: 'release' | 'consume', body?: Record<string, unknown>) =>
  t.request('POST', `/api/v1/reservations/${reservationId}/${action}`, { token: org.tokens.PRACTITIONER, body });

describe('events of the unit operations', () => {
  it('one event per change, data the reservation as the API answers it; a replay or a refusal writes none', async () => {
    const auth = await create({ serviceCode: '97153', totalUnits: 1000 });
    const key = `k-${randomBytes(4).toString('hex')}`;
    const first = await t.request('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token: org.tokens.PRACTITIONER, body: { units: 5, serviceDate: DAY }, headers: { 'Idempotency-Key': key } });
    expectStatus(first, 201);
    const replay = await t.request('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token: org.tokens.PRACTITIONER, body: { units: 5, serviceDate: DAY }, headers: { 'Idempotency-Key': key } });
    expectStatus(replay, 201);
    expectStatus(await reserve(auth.id, 2000), 409);
    const moved = await t.request('PATCH', `/api/v1/reservations/${first.body.reservation.id}`, { token: org.tokens.PRACTITIONER, body: { units: 6 } });
    expectStatus(moved, 200);
    const second = await reserve(auth.id, 3);
    expectStatus(second, 201);
    expectStatus(await act(first.body.reservation.id, 'consume', { units: 4 }), 200);
    expectStatus(await act(second.body.reservation.id, 'release'), 200);

    const events = about(await feed(), auth.id);
    expect(types(events)).toEqual(['authorization.created', 'reservation.created', 'reservation.modified', 'reservation.created', 'reservation.consumed', 'reservation.released']);
    expect(events[1].data).toEqual(first.body.reservation);
    expect(events[2].data).toEqual(moved.body.reservation);
    expect(events[4].data).toMatchObject({ id: first.body.reservation.id, status: 'CONSUMED', consumedUnits: 4 });
    expect(events[5].data).toMatchObject({ id: second.body.reservation.id, status: 'RELEASED' });
    expect(events[0].data).toMatchObject({ id: auth.id, totalUnits: 1000, availableUnits: 1000 });
    for (const e of events) expect(e).toMatchObject({ organizationId: org.id, id: expect.any(String), occurredAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(new Set(events.map((e) => e.id)).size).toBe(events.length);
  });

  it('low_units once per downward crossing of the line (re-armed by a rise above), exhausted once at 0', async () => {
    // lowUnitsPercent 20 (the default): low at 20 of 100 available or fewer.
    const auth = await create({ serviceCode: '97153', totalUnits: 100 });
    const line = auth.lines[0].id;
    const r1 = await reserve(auth.id, 79); // 21 left: not low
    expectStatus(r1, 201);
    expectStatus(await reserve(auth.id, 1), 201); // 20 left: low
    const r3 = await reserve(auth.id, 5); // 15: still low, no new event
    expectStatus(r3, 201);
    expectStatus(await act(r3.body.reservation.id, 'release'), 200); // 20: still low
    expectStatus(await act(r1.body.reservation.id, 'release'), 200); // 99: re-armed
    const big = await reserve(auth.id, 99); // 0: low and exhausted
    expectStatus(big, 201);
    expectStatus(await act(big.body.reservation.id, 'release'), 200); // 99
    expectStatus(await reserve(auth.id, 99), 201); // 0 again: both again
    const events = about(await feed(), auth.id);
    expect(types(events)).toEqual([
      'authorization.created',
      'reservation.created',
      'reservation.created', `authorization.low_units:${line}`,
      'reservation.created',
      'reservation.released',
      'reservation.released',
      'reservation.created', `authorization.low_units:${line}`, 'authorization.exhausted',
      'reservation.released',
      'reservation.created', `authorization.low_units:${line}`, 'authorization.exhausted',
    ]);
    const low = events.find((e) => e.type === 'authorization.low_units')!;
    expect(low.data).toMatchObject({ id: auth.id, lineId: line, availableUnits: 20, totalUnits: 100 });
    expect(events.find((e) => e.type === 'authorization.exhausted')!.data).toMatchObject({ id: auth.id, availableUnits: 0, status: 'EXHAUSTED' });
  });

  it("a pool and its lines cross each on its own (the organization's lowUnitsPercent)", async () => {
    const other = await createOrg(t.request.bind(t), await rootToken(t.request.bind(t)));
    expectStatus(await t.request('PATCH', `/api/v1/organizations/${other.id}`, { token: other.tokens.ADMIN, body: { lowUnitsPercent: 50 } }), 200);
    const auth = await create({ poolUnits: 40, lines: [{ serviceCode: '97153', totalUnits: 30 }, { serviceCode: '97155', totalUnits: 30 }] }, other);
    const [a, b] = [auth.lines.find((l: any) => l.serviceCode === '97153').id, auth.lines.find((l: any) => l.serviceCode === '97155').id];
    const book = (serviceCode: string, units: number) =>
      t.request('POST', `/api/v1/authorizations/${auth.id}/reservations`, { token: other.tokens.PRACTITIONER, body: { units, serviceCode, serviceDate: DAY } });
    expectStatus(await book('97153', 15), 201); // line A 15/30 left: low (50%); pool 25/40: not
    expectStatus(await book('97155', 6), 201); // line B 24/30: not; pool 19/40: low
    expectStatus(await book('97155', 19), 201); // B 5/30 (low), pool 0 (already low) → exhausted
    expect(types(about(await feed(other), auth.id))).toEqual([
      'authorization.created',
      'reservation.created', `authorization.low_units:${a}`,
      'reservation.created', 'authorization.low_units:pool',
      'reservation.created', `authorization.low_units:${b}`, 'authorization.exhausted',
    ]);
  });

  it('40 concurrent reservations of 5 on 100 units: exactly 20 succeed, 20 reservation.created events, one low_units, one exhausted', async () => {
    const auth = await create({ serviceCode: '97153', totalUnits: 100 });
    const results = await Promise.all(Array.from({ length: 40 }, () => reserve(auth.id, 5)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(20);
    expect(results.filter((r) => r.status === 409)).toHaveLength(20);
    const events = about(await feed(), auth.id);
    const created = events.filter((e) => e.type === 'reservation.created');
    expect(created.map((e) => e.data.id).sort()).toEqual(results.filter((r) => r.status === 201).map((r) => r.body.reservation.id).sort());
    expect(types(events.filter((e) => e.type.startsWith('authorization.')))).toEqual(['authorization.created', `authorization.low_units:${auth.lines[0].id}`, 'authorization.exhausted']);
    expect(await checkIntegrity(t.sql)).toEqual(INTACT);
  });
});

describe('events of authorization changes', () => {
  it('created, then updated for a change (with the crossing a lowered total makes), nothing for a change to the same values', async () => {
    const auth = await create({ serviceCode: '97153', totalUnits: 100 });
    expectStatus(await reserve(auth.id, 70), 201);
    const patch = (body: Record<string, unknown>) => t.request('PATCH', `/api/v1/authorizations/${auth.id}`, { token: org.tokens.ADMIN, body });
    const lowered = await patch({ totalUnits: 80 }); // 10 of 80 left: low
    expectStatus(lowered, 200);
    expectStatus(await patch({ notes: 'n1' }), 200);
    expectStatus(await patch({ notes: 'n1' }), 200);
    const events = about(await feed(), auth.id);
    expect(types(events)).toEqual(['authorization.created', 'reservation.created', 'authorization.updated', `authorization.low_units:${auth.lines[0].id}`, 'authorization.updated']);
    expect(events[2].data).toEqual(lowered.body);
  });
});

describe('expiring and expired, once each, from the sweep', () => {
  it('due ones are written once, whatever the number of passes and instances', async () => {
    const other = await createOrg(t.request.bind(t), await rootToken(t.request.bind(t)));
    expectStatus(await t.request('PATCH', `/api/v1/organizations/${other.id}`, { token: other.tokens.ADMIN, body: { expiringWithinDays: 10 } }), 200);
    const ending = async (startDate: string, endDate: string) => (await create({ serviceCode: '97153', totalUnits: 10, startDate, endDate }, other)).id;
    const soon = await ending(dayOffset(-30), dayOffset(10)); // 10 days left: expiring
    const later = await ending(dayOffset(-30), dayOffset(11)); // 11: nothing yet
    const ended = await ending(dayOffset(-30), dayOffset(-1)); // yesterday: expired (and never expiring)
    const today = await ending(dayOffset(-30), dayOffset(0)); // its last day: expiring
    // A second instance on the same database sweeps at the same time as this one, twice each.
    const second = await startTestApp({}, t.databaseUrl);
    try {
      const passes = [t, second, t, second].map((app) => app.app.get(AuthorizationDeadlines).announce());
      await Promise.all(passes);
      await t.app.get(AuthorizationDeadlines).announce();
    } finally {
      await second.close({ integrity: false });
    }
    const events = await feed(other);
    const deadlines = events.filter((e) => e.type === 'authorization.expiring' || e.type === 'authorization.expired').map((e) => [e.data.id, e.type]);
    expect(deadlines.sort()).toEqual([[soon, 'authorization.expiring'], [ended, 'authorization.expired'], [today, 'authorization.expiring']].sort());
    expect(events.filter((e) => e.data.id === later && e.type !== 'authorization.created')).toEqual([]);
    expect(events.find((e) => e.type === 'authorization.expired')!.data).toMatchObject({ id: ended, status: 'EXPIRED' });
  });
});
