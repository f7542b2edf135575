import { Role } from '../shared/auth/role';
import { AuthorizationRow } from './authorization.repository';
import { ReservationRow } from './reservation.repository';
import { planBatch } from './unit-batch-plan';
import { UnitCommand } from './unit-command';

const now = new Date('2026-03-01T12:00:00.000Z');
const practitioner = { id: 'u-1', email: 'p@x', role: Role.PRACTITIONER, organizationId: 'org-1' };
const stranger = { ...practitioner, id: 'u-2', organizationId: 'org-2' };
const authorization = (over: Partial<AuthorizationRow> = {}): AuthorizationRow => withLine({
  id: 'a-1', organizationId: 'org-1', patientId: 'p', payer: null, authNumber: 'n', serviceCode: '97153', notes: null,
  status: 'ACTIVE', totalUnits: 50, usedUnits: 0, scheduledUnits: 0, startDate: '2026-01-01', endDate: '2026-06-30',
  createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', poolUnits: null, linesTotalUnits: 50, timeZone: 'UTC', weekStartsOn: 'MONDAY',
  lines: [], caps: [], ...over,
});
/** One line holding what the authorization holds (a v1 authorization). */
const withLine = (a: AuthorizationRow): AuthorizationRow => ({
  ...a,
  linesTotalUnits: a.totalUnits,
  lines: [{ id: 'l-1', serviceCode: '97153', modifiers: '', totalUnits: a.totalUnits, usedUnits: a.usedUnits, scheduledUnits: a.scheduledUnits }],
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
