import { checkConsume, checkReserve, checkStillScheduled, effectiveStatus, UnitCounters } from './authorization-rules';

const auth = (over: Partial<UnitCounters> = {}): UnitCounters => ({
  status: 'ACTIVE', totalUnits: 50, usedUnits: 10, scheduledUnits: 20, startDate: '2026-01-01', endDate: '2026-06-30', ...over,
});

describe('effective status (SPEC §3)', () => {
  it.each([
    [{ status: 'CANCELLED' as const }, '2026-03-01', 'CANCELLED'],
    [{ status: 'PENDING' as const }, '2027-01-01', 'PENDING'],
    [{}, '2026-07-01', 'EXPIRED'],
    [{}, '2026-06-30', 'ACTIVE'],
    [{ scheduledUnits: 40 }, '2026-03-01', 'EXHAUSTED'],
    [{ scheduledUnits: 40 }, '2026-07-01', 'EXPIRED'],
    [{ scheduledUnits: 39 }, '2026-03-01', 'ACTIVE'],
  ])('%o on %s is %s', (over, today, expected) => {
    expect(effectiveStatus(auth(over), today)).toBe(expected);
  });
});

describe('reserve rules', () => {
  it('allows up to the available units within the period', () => {
    expect(() => checkReserve(auth(), 20, '2026-01-01')).not.toThrow();
    expect(() => checkReserve(auth(), 20, '2026-06-30')).not.toThrow();
  });
  it('refuses more than available with the numbers', () => {
    expect(() => checkReserve(auth(), 21, '2026-03-01')).toThrow(expect.objectContaining({ code: 'INSUFFICIENT_UNITS', extra: { availableUnits: 20, requestedUnits: 21 } }));
  });
  it('refuses an expiry that is not in the future (400), and accepts one that is', () => {
    const now = new Date('2026-03-01T12:00:00Z');
    expect(() => checkReserve(auth(), 1, '2026-03-01', '2026-03-01T12:00:00Z', now)).toThrow(expect.objectContaining({ status: 400, code: 'VALIDATION_FAILED' }));
    expect(() => checkReserve(auth(), 1, '2026-03-01', '2026-03-01T12:00:00.001Z', now)).not.toThrow();
  });

  it('refuses outside the period and on a non-ACTIVE stored status', () => {
    expect(() => checkReserve(auth(), 1, '2025-12-31')).toThrow(expect.objectContaining({ code: 'OUTSIDE_AUTHORIZATION_PERIOD' }));
    expect(() => checkReserve(auth(), 1, '2026-07-01')).toThrow(expect.objectContaining({ code: 'OUTSIDE_AUTHORIZATION_PERIOD' }));
    expect(() => checkReserve(auth({ status: 'PENDING' }), 1, '2026-03-01')).toThrow(expect.objectContaining({ code: 'AUTHORIZATION_NOT_ACTIVE' }));
    expect(() => checkReserve(auth({ status: 'CANCELLED' }), 1, '2026-03-01')).toThrow(expect.objectContaining({ code: 'AUTHORIZATION_NOT_ACTIVE' }));
  });
});

describe('release and consume rules', () => {
  const now = new Date('2026-03-01T12:00:00Z');
  const scheduled = { status: 'SCHEDULED', units: 8, expiresAt: null };

  it('need a SCHEDULED reservation not past expiresAt', () => {
    expect(() => checkStillScheduled(scheduled, now)).not.toThrow();
    expect(() => checkStillScheduled({ ...scheduled, status: 'CONSUMED' }, now)).toThrow(expect.objectContaining({ code: 'RESERVATION_NOT_SCHEDULED' }));
    expect(() => checkStillScheduled({ ...scheduled, expiresAt: '2026-03-01T12:00:00.000Z' }, now)).toThrow(expect.objectContaining({ code: 'RESERVATION_NOT_SCHEDULED' }));
    expect(() => checkStillScheduled({ ...scheduled, expiresAt: '2026-03-01T12:00:00.001Z' }, now)).not.toThrow();
  });

  it('consume defaults to all units, allows 0..units, refuses more (400) and a CANCELLED authorization', () => {
    expect(checkConsume(scheduled, 'ACTIVE', undefined, now)).toBe(8);
    expect(checkConsume(scheduled, 'PENDING', 0, now)).toBe(0);
    expect(checkConsume(scheduled, 'ACTIVE', 8, now)).toBe(8);
    expect(() => checkConsume(scheduled, 'ACTIVE', 9, now)).toThrow(expect.objectContaining({ status: 400, code: 'VALIDATION_FAILED' }));
    expect(() => checkConsume(scheduled, 'CANCELLED', 1, now)).toThrow(expect.objectContaining({ code: 'AUTHORIZATION_NOT_ACTIVE' }));
  });
});
