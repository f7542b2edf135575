import { crossingEvents, crossings, exhaustedCrossed, expiredDue, expiringDue, isLow, lowUnitsCrossed } from './event-rules';

const u = (available: number, total = 100) => ({ available, total });

describe('isLow: available ÷ total at or below the percent, without rounding', () => {
  it.each([
    [u(21), 20, false],
    [u(20), 20, true],
    [u(0), 20, true],
    [u(1, 3), 33, false], // 33.33…% > 33%
    [u(1, 3), 34, true],
    [u(1, 5), 20, true], // exactly 20%
    [u(2, 9), 22, false], // 22.2…%
    [u(50), 0, false],
    [u(0), 0, true],
    [u(100), 100, true],
    [u(0, 0), 20, false], // no total: never low
  ])('%j at %i%% → %s', (units, percent, low) => {
    expect(isLow(units, percent)).toBe(low);
  });
});

describe('lowUnitsCrossed: once per downward crossing', () => {
  it('fires when the change takes it from above the threshold to at or below', () => {
    expect(lowUnitsCrossed(u(21), u(20), 20)).toBe(true);
    expect(lowUnitsCrossed(u(100), u(0), 20)).toBe(true);
  });
  it('does not fire while it stays above, or stays low, or rises', () => {
    expect(lowUnitsCrossed(u(50), u(21), 20)).toBe(false);
    expect(lowUnitsCrossed(u(20), u(10), 20)).toBe(false);
    expect(lowUnitsCrossed(u(10), u(10), 20)).toBe(false);
    expect(lowUnitsCrossed(u(10), u(30), 20)).toBe(false);
  });
  it('re-arms: low, back above (a release), low again → fires again on the second fall', () => {
    const path = [u(30), u(15), u(10), u(40), u(19)];
    const fired = path.slice(1).map((after, i) => lowUnitsCrossed(path[i], after, 20));
    expect(fired).toEqual([true, false, false, true]);
  });
  it('a change of total counts: a lower total can cross without a unit moving, a higher one re-arms', () => {
    expect(lowUnitsCrossed(u(20, 80), u(20, 100), 20)).toBe(true);
    expect(lowUnitsCrossed(u(20, 100), u(20, 50), 20)).toBe(false);
  });
});

describe('exhaustedCrossed: once, when available reaches 0 from above', () => {
  it.each([
    [u(5), u(0), true],
    [u(1), u(0), true],
    [u(0), u(0), false],
    [u(0), u(3), false],
    [u(5), u(1), false],
  ])('%j → %j: %s', (before, after, fired) => {
    expect(exhaustedCrossed(before, after)).toBe(fired);
  });
});

describe('crossings of one change', () => {
  it('low_units per line or pool that crossed, in order, then exhausted', () => {
    expect(
      crossings(
        [
          { lineId: 'line-1', before: u(30, 60), after: u(0, 60) },
          { lineId: 'line-2', before: u(5, 20), after: u(5, 20) },
          { lineId: null, before: u(30, 80), after: u(10, 80) },
        ],
        { before: u(30, 80), after: u(0, 80) },
        20,
      ),
    ).toEqual([{ type: 'authorization.low_units', lineId: 'line-1' }, { type: 'authorization.low_units', lineId: null }, { type: 'authorization.exhausted' }]);
  });
  it('nothing when nothing crossed', () => {
    expect(crossings([{ lineId: 'l', before: u(10), after: u(5) }], { before: u(10), after: u(5) }, 20)).toEqual([]);
  });
});

describe('crossingEvents', () => {
  it('one event per crossing, data the authorization after the change; low_units names its line (null: the pool)', () => {
    const authorization = { id: 'auth-1', availableUnits: 0 };
    expect(
      crossingEvents('org-1', authorization, [{ type: 'authorization.low_units', lineId: 'line-1' }, { type: 'authorization.low_units', lineId: null }, { type: 'authorization.exhausted' }]),
    ).toEqual([
      { type: 'authorization.low_units', organizationId: 'org-1', data: { id: 'auth-1', availableUnits: 0, lineId: 'line-1' } },
      { type: 'authorization.low_units', organizationId: 'org-1', data: { id: 'auth-1', availableUnits: 0, lineId: null } },
      { type: 'authorization.exhausted', organizationId: 'org-1', data: { id: 'auth-1', availableUnits: 0 } },
    ]);
  });
});

describe('expiring and expired (dates YYYY-MM-DD, the organization\'s today)', () => {
  it.each([
    ['2026-12-31', '2026-12-01', 30, true],
    ['2026-12-31', '2026-11-30', 30, false],
    ['2026-12-31', '2026-12-31', 30, true],
    ['2026-12-31', '2027-01-01', 30, false],
    ['2026-03-01', '2026-02-27', 2, true], // across the end of February
    ['2024-03-01', '2024-02-28', 1, false], // 2024 is a leap year: 2 days
    ['2026-12-31', '2026-12-31', 0, true],
  ])('expiringDue(end %s, today %s, %i days) → %s', (end, today, days, due) => {
    expect(expiringDue(end, today, days)).toBe(due);
  });
  it.each([
    ['2026-12-31', '2026-12-31', false],
    ['2026-12-31', '2027-01-01', true],
    ['2026-12-31', '2026-06-01', false],
  ])('expiredDue(end %s, today %s) → %s', (end, today, due) => {
    expect(expiredDue(end, today)).toBe(due);
  });
});
