import { UnitCommand } from './unit-command';

/** How many authorizations are remembered; beyond that the oldest are forgotten. */
const CAPACITY = 10_000;

/**
 * Units left on each authorization when this instance last read it. Used for one guess only: that
 * a batch of reservations will all be refused (scenario 1 of SPEC §9: an exhausted authorization
 * keeps being asked), so it can be decided in a read-only transaction of one round trip instead of
 * BEGIN … COMMIT in two. The answer always comes from what that transaction reads; a wrong guess
 * costs one round trip, never a wrong answer.
 */
export class AvailabilityHints {
  private readonly left = new Map<string, number>();

  constructor(private readonly capacity = CAPACITY) {}

  remember(authorizationId: string, unitsLeft: number): void {
    this.left.delete(authorizationId);
    this.left.set(authorizationId, unitsLeft);
    if (this.left.size > this.capacity) this.left.delete(this.left.keys().next().value!);
  }

  /** True when every command is a reservation without Idempotency-Key asking for more than its authorization had left. */
  expectRefusal(commands: UnitCommand[]): boolean {
    return commands.every((c) => {
      if (c.kind !== 'reserve' || c.idempotency) return false;
      const left = this.left.get(c.authorizationId);
      return left !== undefined && c.units > left;
    });
  }
}
