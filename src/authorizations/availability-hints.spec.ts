import { AuthUser } from '../shared/auth/auth-user';
import { Role } from '../shared/auth/role';
import { AvailabilityHints } from './availability-hints';
import { UnitCommand } from './unit-command';

const caller: AuthUser = { id: 'u', email: 'p@example.com', role: Role.PRACTITIONER, organizationId: 'o' };
const reserve = (authorizationId: string, units: number, extra: Partial<UnitCommand> = {}): UnitCommand =>
  ({ authorizationId, kind: 'reserve', caller, reservationId: 'r', units, serviceDate: '2026-11-28', reference: null, expiresAt: null, ...extra }) as UnitCommand;

describe('AvailabilityHints', () => {
  it('expects a refusal only when every reservation asks for more than was left', () => {
    const hints = new AvailabilityHints();
    hints.remember('a', 5);
    hints.remember('b', 0);
    expect(hints.expectRefusal([reserve('a', 6), reserve('b', 1)])).toBe(true);
    expect(hints.expectRefusal([reserve('a', 5)])).toBe(false);
    expect(hints.expectRefusal([reserve('a', 6), reserve('b', 1), reserve('a', 5)])).toBe(false);
  });

  it('makes no guess for unknown authorizations, other operations or keyed requests', () => {
    const hints = new AvailabilityHints();
    hints.remember('a', 0);
    expect(hints.expectRefusal([reserve('x', 10)])).toBe(false);
    expect(hints.expectRefusal([{ authorizationId: 'a', kind: 'release', caller, reservationId: 'r' }])).toBe(false);
    expect(hints.expectRefusal([reserve('a', 1, { idempotency: { userId: 'u', key: 'k', fingerprint: 'f', successStatus: 201 } } as Partial<UnitCommand>)])).toBe(false);
  });

  it('keeps the latest value and forgets the least recently remembered beyond its capacity', () => {
    const hints = new AvailabilityHints(2);
    hints.remember('a', 0);
    hints.remember('b', 0);
    hints.remember('a', 10);
    hints.remember('c', 0);
    expect(hints.expectRefusal([reserve('a', 11)])).toBe(true);
    expect(hints.expectRefusal([reserve('a', 10)])).toBe(false);
    expect(hints.expectRefusal([reserve('b', 1)])).toBe(false);
    expect(hints.expectRefusal([reserve('c', 1)])).toBe(true);
  });
});
