import { AuthorizationRow } from './authorization.repository';
import { planUpdate } from './authorization-update';

const current = {
  id: 'a', organizationId: 'o', patientId: 'p', payer: null, authNumber: 'n', serviceCode: '97153', notes: null,
  status: 'ACTIVE', totalUnits: 50, usedUnits: 10, scheduledUnits: 20, startDate: '2026-01-01', endDate: '2026-06-30',
  createdAt: '', updatedAt: '', poolUnits: null, linesTotalUnits: 50,
  lines: [{ id: 'l', serviceCode: '97153', modifiers: '', totalUnits: 50, usedUnits: 10, scheduledUnits: 20, sole: true }],
} as unknown as AuthorizationRow;

describe('planUpdate (PATCH /authorizations/:id)', () => {
  it('adjusts the total down to exactly used + scheduled, recording the signed change', () => {
    expect(planUpdate(current, { totalUnits: 30 })).toEqual({ columns: { total_units: 30, lines_total_units: 30 }, adjustBy: -20, lineId: 'l' });
    expect(planUpdate(current, { totalUnits: 80 })).toEqual({ columns: { total_units: 80, lines_total_units: 80 }, adjustBy: 30, lineId: 'l' });
  });
  it('refuses a total below used + scheduled', () => {
    expect(() => planUpdate(current, { totalUnits: 29 })).toThrow(expect.objectContaining({ status: 409, code: 'TOTAL_BELOW_ALLOCATED' }));
  });
  it('refuses cancelling with units scheduled, allows it without', () => {
    expect(() => planUpdate(current, { status: 'CANCELLED' })).toThrow(expect.objectContaining({ status: 409, code: 'HAS_SCHEDULED_UNITS' }));
    expect(planUpdate({ ...current, scheduledUnits: 0 }, { status: 'CANCELLED' }).columns).toEqual({ status: 'CANCELLED' });
  });
  it('refuses an end date before the start date', () => {
    expect(() => planUpdate(current, { endDate: '2025-12-31' })).toThrow(expect.objectContaining({ status: 400 }));
  });
  it('an unchanged total is no adjustment', () => {
    expect(planUpdate(current, { totalUnits: 50, notes: 'x' })).toEqual({ columns: { notes: 'x' }, adjustBy: 0, lineId: null });
  });
});
