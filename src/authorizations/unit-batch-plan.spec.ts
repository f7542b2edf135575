import { Role } from '../shared/auth/role';
import { AuthorizationRow } from './authorization.repository';
import { ReservationRow } from './reservation.repository';
import { planBatch, planBatches } from './unit-batch-plan';
import { UnitCommand } from './unit-command';

const now = new Date('2026-03-01T12:00:00.000Z');
const practitioner = { id: 'u-1', email: 'p@x', role: Role.PRACTITIONER, organizationId: 'org-1' };
const stranger = { ...practitioner, id: 'u-2', organizationId: 'org-2' };
const authorization = (over: Partial<AuthorizationRow> = {}): AuthorizationRow => withLine({
  id: 'a-1', organizationId: 'org-1', patientId: 'p', payer: null, authNumber: 'n', serviceCode: '97153', notes: null,
  status: 'ACTIVE', totalUnits: 50, usedUnits: 0, scheduledUnits: 0, startDate: '2026-01-01', endDate: '2026-06-30',
  createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', poolUnits: null, linesTotalUnits: 50, timeZone: 'UTC', weekStartsOn: 'MONDAY', lowUnitsPercent: 20,
  lines: [], caps: [], ...over,
});
/** One line holding what the authorization holds (a v1 authorization). */
const withLine = (a: AuthorizationRow): AuthorizationRow => ({
  ...a,
  linesTotalUnits: a.totalUnits,
  lines: [{ id: 'l-1', serviceCode: '97153', modifiers: '', totalUnits: a.totalUnits, usedUnits: a.usedUnits, scheduledUnits: a.scheduledUnits, sole: true }],
});
const reservation = (over: Partial<ReservationRow> = {}): ReservationRow => ({
  id: 'r-1', authorizationId: 'a-1', organizationId: 'org-1', lineId: 'l-1', units: 8, serviceDate: '2026-03-01', reference: null, expiresAt: null,
  status: 'SCHEDULED', consumedUnits: 0, createdBy: 'u-1', createdAt: '2026-03-01T00:00:00.000Z', updatedAt: '2026-03-01T00:00:00.000Z', ...over,
});
const reserve = (units: number, id: string, over: Partial<UnitCommand> = {}): UnitCommand =>
  ({ authorizationId: 'a-1', kind: 'reserve', caller: practitioner, reservationId: id, units, serviceDate: '2026-03-01', reference: null, expiresAt: null, ...over }) as UnitCommand;

describe('planBatch: several commands on one authorization, decided in arrival order', () => {
  it('checks each reservation against what the previous ones left: 6 × 10 on 50 → 5 succeed, the 6th is 409', () => {
    const commands = [1, 2, 3, 4, 5, 6].map((n) => reserve(10, `r-${n}`));
    const plan = planBatch('a-1', authorization(), new Map(), new Map(), commands, now);
    expect(plan.outcomes.map((o) => o.ok)).toEqual([true, true, true, true, true, false]);
    expect(plan.outcomes[5]).toMatchObject({ ok: false, error: { code: 'INSUFFICIENT_UNITS', extra: { availableUnits: 0, requestedUnits: 10 } } });
    expect(plan.delta).toEqual({ used: 0, scheduled: 50 });
    expect(plan.newReservations.map((r) => r.id)).toEqual(['r-1', 'r-2', 'r-3', 'r-4', 'r-5']);
    expect(plan.ledger.map((l) => [l.type, l.units, l.scheduledAfter])).toEqual([1, 2, 3, 4, 5].map((n) => ['RESERVE', 10, 10 * n]));
    // Each answer shows the counters as they were right after that command.
    expect(plan.outcomes.slice(0, 5).map((o) => (o.ok && typeof o.value === 'object' ? o.value.value.authorization.availableUnits : -1))).toEqual([40, 30, 20, 10, 0]);
  });

  it('consume then release of the same reservation in one batch: the second is 409, nothing moved twice', () => {
    const held = reservation();
    const commands: UnitCommand[] = [
      { authorizationId: 'a-1', kind: 'consume', caller: practitioner, reservationId: 'r-1', units: 6 },
      { authorizationId: 'a-1', kind: 'release', caller: practitioner, reservationId: 'r-1' },
    ];
    const plan = planBatch('a-1', authorization({ scheduledUnits: 8 }), new Map([[held.id, held]]), new Map(), commands, now);
    expect(plan.outcomes[1]).toMatchObject({ ok: false, error: { code: 'RESERVATION_NOT_SCHEDULED' } });
    expect(plan.delta).toEqual({ used: 6, scheduled: -8 });
    expect(plan.ledger.map((l) => `${l.type}:${l.units}:${l.usedAfter}/${l.scheduledAfter}`)).toEqual(['CONSUME:6:6/2', 'RELEASE:2:6/0']);
    expect(plan.finishedReservations).toEqual([{ id: 'r-1', status: 'CONSUMED', consumedUnits: 6, expiring: false }]);
  });

  it('another organization\'s caller gets 404 and changes nothing', () => {
    const plan = planBatch('a-1', authorization(), new Map(), new Map(), [reserve(5, 'r-x', { caller: stranger })], now);
    expect(plan.outcomes[0]).toMatchObject({ ok: false, error: { status: 404 } });
    expect(plan).toMatchObject({ delta: { used: 0, scheduled: 0 }, newReservations: [], ledger: [] });
  });

  it('a repeated Idempotency-Key in the same batch replays the first answer; another request under it is 422', () => {
    const key = { userId: 'u-1', key: 'k', fingerprint: 'f1', successStatus: 201 };
    const commands = [reserve(5, 'r-1', { idempotency: key }), reserve(5, 'r-2', { idempotency: key }), reserve(7, 'r-3', { idempotency: { ...key, fingerprint: 'f2' } })];
    const plan = planBatch('a-1', authorization(), new Map(), new Map(), commands, now);
    expect(plan.newReservations.map((r) => r.id)).toEqual(['r-1']);
    expect(plan.outcomes[1]).toMatchObject({ ok: true, value: { replayed: true, value: { reservation: { id: 'r-1' } } } });
    expect(plan.outcomes[2]).toMatchObject({ ok: false, error: { status: 422, code: 'IDEMPOTENCY_KEY_MISMATCH' } });
    expect(plan.answers).toHaveLength(1);
  });

  it('expires only what is still due, once', () => {
    const due = reservation({ expiresAt: '2026-03-01T11:59:59.000Z' });
    const expire: UnitCommand = { authorizationId: 'a-1', kind: 'expire', reservationId: 'r-1' };
    const plan = planBatch('a-1', authorization({ scheduledUnits: 8 }), new Map([[due.id, due]]), new Map(), [expire, expire], now);
    expect(plan.outcomes).toEqual([{ ok: true, value: true }, { ok: true, value: false }]);
    expect(plan.ledger.map((l) => `${l.type}:${l.units}`)).toEqual(['EXPIRE:8']);
    expect(plan.finishedReservations).toEqual([{ id: 'r-1', status: 'EXPIRED', consumedUnits: 0, expiring: true }]);
  });
});

describe('planBatches: SPEC §10 in memory (caps, moves, scheduling by patient, the organization\'s today)', () => {
  const weekCap = { id: 'c-1', lineId: null, period: 'WEEK' as const, units: 10 };

  it('a weekly cap of 10: 3 × 4 in one week → 2 succeed, the 3rd names the bucket; the next week is another bucket', () => {
    const plan = planBatch('a-1', authorization({ caps: [weekCap] }), new Map(), new Map(), [
      reserve(4, 'r-1', { serviceDate: '2026-03-02' }), reserve(4, 'r-2', { serviceDate: '2026-03-08' }),
      reserve(4, 'r-3', { serviceDate: '2026-03-05' }), reserve(4, 'r-4', { serviceDate: '2026-03-09' }),
    ] as UnitCommand[], now);
    expect(plan.outcomes.map((o) => o.ok)).toEqual([true, true, false, true]);
    expect(plan.outcomes[2]).toMatchObject({ ok: false, error: { code: 'PERIOD_CAP_EXCEEDED', extra: { period: 'WEEK', periodStart: '2026-03-02', periodEnd: '2026-03-08', capUnits: 10, availableUnits: 2, requestedUnits: 4 } } });
    expect([...plan.bucketDeltas.values()].map((b) => [b.bucket.periodStart, b.scheduled, b.created])).toEqual([['2026-03-02', 8, true], ['2026-03-09', 4, true]]);
  });

  it('a move then a consume of the same reservation in one batch: the consume is a serialization failure of its own (retried alone)', () => {
    const held = reservation();
    const commands = [
      { authorizationId: 'a-1', kind: 'move', caller: practitioner, reservationId: 'r-1', units: 5 },
      { authorizationId: 'a-1', kind: 'consume', caller: practitioner, reservationId: 'r-1' },
    ] as UnitCommand[];
    const plan = planBatch('a-1', authorization({ scheduledUnits: 8 }), new Map([[held.id, held]]), new Map(), commands, now);
    expect(plan.outcomes[0]).toMatchObject({ ok: true, value: { value: { reservation: { units: 5 } } } });
    expect(plan.outcomes[1]).toMatchObject({ ok: false, error: { code: '40001' } });
    expect(plan.ledger.map((l) => `${l.type}:${l.units}`)).toEqual(['RELEASE:8', 'RESERVE:5']);
    expect([...plan.movedReservations.values()]).toEqual([{ id: 'r-1', units: 5, serviceDate: '2026-03-01' }]);
  });

  it('scheduling by patient fills the candidate ending first, then the next; none fits → each eligible one\'s refusal', () => {
    const sooner = authorization({ id: 'a-1', totalUnits: 8 });
    const later = { ...authorization({ id: 'a-2', totalUnits: 8 }), lines: [{ id: 'l-2', serviceCode: '97153', modifiers: '', totalUnits: 8, usedUnits: 0, scheduledUnits: 0, sole: true }] };
    const byPatient = (id: string) =>
      ({ authorizationId: 'a-1', kind: 'reserveForPatient', caller: practitioner, candidateIds: ['a-1', 'a-2'], patientId: 'p', reservationId: id, serviceCode: '97153', units: 5, serviceDate: '2026-03-01', reference: null, expiresAt: null }) as UnitCommand;
    const { plans, outcomes } = planBatches(new Map([['a-1', sooner], ['a-2', later]]), new Map(), new Map(), [byPatient('r-1'), byPatient('r-2'), byPatient('r-3')], now);
    expect(outcomes.map((o) => (o.ok ? (o.value as { value: { authorization: { id: string } } }).value.authorization.id : 'refused'))).toEqual(['a-1', 'a-2', 'refused']);
    expect(outcomes[2]).toMatchObject({ ok: false, error: { code: 'NO_AUTHORIZATION_AVAILABLE', extra: { candidates: [
      { authorizationId: 'a-1', code: 'INSUFFICIENT_UNITS', availableUnits: 3 },
      { authorizationId: 'a-2', code: 'INSUFFICIENT_UNITS', availableUnits: 3 },
    ] } } });
    expect(plans.map((p) => [p.authorizationId, p.delta.scheduled])).toEqual([['a-1', 5], ['a-2', 5]]);
  });

  it("the organization's today, on both sides of UTC: the default serviceDate and the effective status", () => {
    const endingToday = (timeZone: string) => authorization({ timeZone, endDate: '2026-06-30' });
    const noDate = reserve(1, 'r-1', { serviceDate: undefined });
    // 19:30 in New York on June 30 (23:30 UTC): still June 30 there, the authorization is ACTIVE.
    const newYork = planBatch('a-1', endingToday('America/New_York'), new Map(), new Map(), [noDate], new Date('2026-06-30T23:30:00Z'));
    expect(newYork.outcomes[0]).toMatchObject({ ok: true, value: { value: { reservation: { serviceDate: '2026-06-30' }, authorization: { status: 'ACTIVE' } } } });
    // 00:30 on July 1 in Auckland (12:30 UTC on June 30): July 1 there, outside the period.
    const auckland = planBatch('a-1', endingToday('Pacific/Auckland'), new Map(), new Map(), [noDate], new Date('2026-06-30T12:30:00Z'));
    expect(auckland.outcomes[0]).toMatchObject({ ok: false, error: { code: 'OUTSIDE_AUTHORIZATION_PERIOD', extra: { serviceDate: '2026-07-01' } } });
    // The same instant in UTC is still June 30.
    const utc = planBatch('a-1', endingToday('UTC'), new Map(), new Map(), [noDate], new Date('2026-06-30T12:30:00Z'));
    expect(utc.outcomes[0]).toMatchObject({ ok: true, value: { value: { reservation: { serviceDate: '2026-06-30' } } } });
  });
});
