import { BatchPlan } from './unit-batch-state';
import { writeBatch } from './unit-batch-write';

// The batch write is the hot path's one write statement: prepared, named by the hash of its text.
// These are the texts (and parameters) it had before it was assembled from the repositories' parts;
// a change here is a change of the statement PostgreSQL plans, and must be measured (npm run bench).

const idem = (k: string) => ({ userId: 'u1', key: k, fingerprint: 'f' + k, successStatus: 201 });
const full: BatchPlan[] = [
  {
    authorizationId: 'a1', delta: { used: 2, scheduled: 3 }, lineDeltas: new Map([['l1', { used: 2, scheduled: 3 }]]),
    bucketDeltas: new Map([
      ['c1|2026-01-01', { authorizationId: 'a1', bucket: { capId: 'c1', periodStart: '2026-01-01', periodEnd: '2026-01-07', period: 'WEEK', capUnits: 20, usedUnits: 0, scheduledUnits: 4 }, used: 0, scheduled: 4, created: true }],
      ['c2|2026-01-01', { authorizationId: 'a1', bucket: { capId: 'c2', periodStart: '2026-01-01', periodEnd: '2026-01-31', period: 'MONTH', capUnits: 90, usedUnits: 2, scheduledUnits: 9 }, used: 2, scheduled: -1, created: false }],
    ]),
    newReservations: [
      { id: 'r1', authorizationId: 'a1', organizationId: 'o1', lineId: 'l1', units: 3, serviceDate: '2026-01-01', reference: 'x', expiresAt: '2027-01-01T00:00:00.000Z', status: 'SCHEDULED', consumedUnits: 0, createdBy: 'u1', createdAt: 'c', updatedAt: 'c' },
      { id: 'r2', authorizationId: 'a1', organizationId: 'o1', lineId: 'l1', units: 1, serviceDate: '2026-01-01', reference: null, expiresAt: null, status: 'SCHEDULED', consumedUnits: 0, createdBy: 'u1', createdAt: 'c', updatedAt: 'c' },
    ],
    finishedReservations: [{ id: 'r0', status: 'CONSUMED', consumedUnits: 2, expiring: true }, { id: 'r9', status: 'RELEASED', consumedUnits: 0, expiring: false }],
    movedReservations: new Map([['r7', { id: 'r7', units: 6, serviceDate: '2026-01-09' }]]),
    events: [], ledger: [{ authorizationId: 'a1', reservationId: 'r1', lineId: 'l1', serviceDate: '2026-01-01', type: 'RESERVE', units: 3, totalAfter: 10, usedAfter: 0, scheduledAfter: 3, actorId: 'u1' }],
    answers: [{ idempotency: idem('k1'), body: { a: 1 } as never }],
    outcomes: [],
  },
  { authorizationId: 'a2', delta: { used: 0, scheduled: 0 }, lineDeltas: new Map(), bucketDeltas: new Map(), newReservations: [], finishedReservations: [], movedReservations: new Map(), events: [], ledger: [], answers: [{ idempotency: idem('k2'), body: { b: 2 } as never }], outcomes: [] },
];
const onlyFinished: BatchPlan[] = [
  {
    authorizationId: 'a3', delta: { used: 0, scheduled: -1 }, lineDeltas: new Map([['l3', { used: 0, scheduled: -1 }]]), bucketDeltas: new Map(), movedReservations: new Map(), newReservations: [], finishedReservations: [{ id: 'r5', status: 'EXPIRED', consumedUnits: 0, expiring: true }],
    events: [], ledger: [{ authorizationId: 'a3', reservationId: 'r5', lineId: 'l3', serviceDate: '2026-01-02', type: 'EXPIRE', units: 1, totalAfter: 5, usedAfter: 0, scheduledAfter: 0, actorId: null }], answers: [], outcomes: [],
  },
];
const onlyAnswers: BatchPlan[] = [full[1]];
const nothing: BatchPlan[] = [{ ...full[1], answers: [] }];

async function statements(plans: BatchPlan[], finished = plans.flatMap((p) => [...p.finishedReservations, ...p.movedReservations.values()]).length, last = false) {
  const calls: { text: string; params: unknown[]; options: unknown }[] = [];
  const tx = { query: async <T>(text: string, params: unknown[] = [], options: unknown = {}) => (calls.push({ text, params, options }), [{ finished }] as T[]) };
  await writeBatch(tx, plans, '2026-12-02T00:00:00.000Z', last);
  return calls;
}

describe('writeBatch: one prepared statement of the parts that have something to write', () => {
  it('every part', async () => {
    expect(await statements(full)).toEqual([{"text": "with counters as (update authorizations as a set used_units = used_units + v.used, scheduled_units = scheduled_units + v.scheduled, updated_at = ?\n          from unnest(?::uuid[], ?::int[], ?::int[]) as v (id, used, scheduled)\n          where a.id = any(?::uuid[]) and a.id = v.id),\nlines as (update authorization_lines as l set used_units = used_units + v.used, scheduled_units = scheduled_units + v.scheduled, updated_at = ?\n          from unnest(?::uuid[], ?::int[], ?::int[]) as v (id, used, scheduled)\n          where l.id = any(?::uuid[]) and l.id = v.id),\nbuckets as (update cap_buckets as b set used_units = used_units + v.used, scheduled_units = scheduled_units + v.scheduled\n          from unnest(?::uuid[], ?::date[], ?::int[], ?::int[]) as v (cap_id, period_start, used, scheduled)\n          where b.cap_id = v.cap_id and b.period_start = v.period_start),\nnew_buckets as (insert into cap_buckets as b (cap_id, period_start, authorization_id, period, period_end, cap_units, used_units, scheduled_units)\n          select * from unnest(?::uuid[], ?::date[], ?::uuid[], ?::text[], ?::date[], ?::int[], ?::int[], ?::int[])\n          on conflict (cap_id, period_start) do update set used_units = b.used_units + excluded.used_units, scheduled_units = b.scheduled_units + excluded.scheduled_units),\ncreated as (insert into reservations (id, authorization_id, organization_id, line_id, units, service_date, reference, expires_at, status, consumed_units, created_by, created_at, updated_at)\n          select v.id, v.authorization_id, v.organization_id, v.line_id, v.units, v.service_date, v.reference, v.expires_at, 'SCHEDULED', 0, v.created_by, ?, ?\n          from unnest(?::uuid[], ?::uuid[], ?::uuid[], ?::uuid[], ?::int[], ?::date[], ?::text[], ?::timestamptz[], ?::uuid[])\n            as v (id, authorization_id, organization_id, line_id, units, service_date, reference, expires_at, created_by)),\nexpiring as (insert into reservation_expiries (reservation_id, expires_at) select * from unnest(?::uuid[], ?::timestamptz[])),\nunexpiring as (delete from reservation_expiries where reservation_id = any(?::uuid[])),\nfinished as (update reservations as r set status = v.status, consumed_units = v.consumed, updated_at = ?\n          from unnest(?::uuid[], ?::text[], ?::int[]) as v (id, status, consumed)\n          where r.id = any(?::uuid[]) and r.id = v.id and r.status = 'SCHEDULED' returning r.id),\nmoved as (update reservations as r set units = v.units, service_date = v.service_date, revision = r.revision + 1, updated_at = ?\n          from unnest(?::uuid[], ?::int[], ?::date[]) as v (id, units, service_date)\n          where r.id = any(?::uuid[]) and r.id = v.id and r.status = 'SCHEDULED' returning r.id),\nledger as (insert into ledger_entries (authorization_id, reservation_id, line_id, service_date, type, units, total_after, used_after, scheduled_after, actor_id)\n  select a, r, li, sd, t, u, ta, ua, sa, ac from unnest(?::uuid[], ?::uuid[], ?::uuid[], ?::date[], ?::text[], ?::int[], ?::int[], ?::int[], ?::int[], ?::uuid[]) with ordinality as l (a, r, li, sd, t, u, ta, ua, sa, ac, n) order by n),\nanswers as (insert into idempotency_keys (user_id, key, request_fingerprint, status_code, response_body)\n          select * from unnest(?::uuid[], ?::text[], ?::text[], ?::int[], ?::jsonb[])) select (select count(*) from finished)::int + (select count(*) from moved)::int as finished", "params": ["2026-12-02T00:00:00.000Z", ["a1"], [2], [3], ["a1"], "2026-12-02T00:00:00.000Z", ["l1"], [2], [3], ["l1"], ["c2"], ["2026-01-01"], [2], [-1], ["c1"], ["2026-01-01"], ["a1"], ["WEEK"], ["2026-01-07"], [20], [0], [4], "2026-12-02T00:00:00.000Z", "2026-12-02T00:00:00.000Z", ["r1", "r2"], ["a1", "a1"], ["o1", "o1"], ["l1", "l1"], [3, 1], ["2026-01-01", "2026-01-01"], ["x", null], ["2027-01-01T00:00:00.000Z", null], ["u1", "u1"], ["r1"], ["2027-01-01T00:00:00.000Z"], ["r0"], "2026-12-02T00:00:00.000Z", ["r0", "r9"], ["CONSUMED", "RELEASED"], [2, 0], ["r0", "r9"], "2026-12-02T00:00:00.000Z", ["r7"], [6], ["2026-01-09"], ["r7"], ["a1"], ["r1"], ["l1"], ["2026-01-01"], ["RESERVE"], [3], [10], [0], [3], ["u1"], ["u1", "u1"], ["k1", "k2"], ["fk1", "fk2"], [201, 201], ["{\"a\":1}", "{\"b\":2}"]], "options": {"prepare": true, "last": false}}]);
  });

  it('finished reservations and the ledger only', async () => {
    expect(await statements(onlyFinished)).toEqual([{"text": "with counters as (update authorizations as a set used_units = used_units + v.used, scheduled_units = scheduled_units + v.scheduled, updated_at = ?\n          from unnest(?::uuid[], ?::int[], ?::int[]) as v (id, used, scheduled)\n          where a.id = any(?::uuid[]) and a.id = v.id),\nlines as (update authorization_lines as l set used_units = used_units + v.used, scheduled_units = scheduled_units + v.scheduled, updated_at = ?\n          from unnest(?::uuid[], ?::int[], ?::int[]) as v (id, used, scheduled)\n          where l.id = any(?::uuid[]) and l.id = v.id),\nunexpiring as (delete from reservation_expiries where reservation_id = any(?::uuid[])),\nfinished as (update reservations as r set status = v.status, consumed_units = v.consumed, updated_at = ?\n          from unnest(?::uuid[], ?::text[], ?::int[]) as v (id, status, consumed)\n          where r.id = any(?::uuid[]) and r.id = v.id and r.status = 'SCHEDULED' returning r.id),\nledger as (insert into ledger_entries (authorization_id, reservation_id, line_id, service_date, type, units, total_after, used_after, scheduled_after, actor_id)\n  select a, r, li, sd, t, u, ta, ua, sa, ac from unnest(?::uuid[], ?::uuid[], ?::uuid[], ?::date[], ?::text[], ?::int[], ?::int[], ?::int[], ?::int[], ?::uuid[]) with ordinality as l (a, r, li, sd, t, u, ta, ua, sa, ac, n) order by n) select (select count(*) from finished)::int as finished", "params": ["2026-12-02T00:00:00.000Z", ["a3"], [0], [-1], ["a3"], "2026-12-02T00:00:00.000Z", ["l3"], [0], [-1], ["l3"], ["r5"], "2026-12-02T00:00:00.000Z", ["r5"], ["EXPIRED"], [0], ["r5"], ["a3"], ["r5"], ["l3"], ["2026-01-02"], ["EXPIRE"], [1], [5], [0], [0], [null]], "options": {"prepare": true, "last": false}}]);
  });

  it('stored answers only (a batch of refusals with Idempotency-Keys)', async () => {
    expect(await statements(onlyAnswers)).toEqual([{ text: "with answers as (insert into idempotency_keys (user_id, key, request_fingerprint, status_code, response_body)\n          select * from unnest(?::uuid[], ?::text[], ?::text[], ?::int[], ?::jsonb[])) select 0 as finished", params: [["u1"], ["k2"], ["fk2"], [201], ["{\"b\":2}"]], options: { prepare: true, last: false } }]);
  });

  it("the transaction's last statement travels with COMMIT only when nothing is counted after it (no finished or moved reservations)", async () => {
    expect((await statements(onlyAnswers, 0, true)).map((c) => c.options)).toEqual([{ prepare: true, last: true }]);
    expect((await statements(onlyFinished, 1, true)).map((c) => c.options)).toEqual([{ prepare: true, last: false }]);
    expect((await statements(full, 3, true)).map((c) => c.options)).toEqual([{ prepare: true, last: false }]);
  });

  it('nothing to write: no statement', async () => {
    expect(await statements(nothing)).toEqual([]);
  });

  it('a reservation that was no longer SCHEDULED fails the batch', async () => {
    await expect(statements(onlyFinished, 0)).rejects.toThrow('reservation state changed under the batch');
  });
});
