import { EventType } from './event-types';
import type { NewEvent } from './events.repository';

// The "once per crossing" rules of SPEC §11, as plain functions of plain numbers and dates (no
// database, nothing of src/authorizations): the caller passes the figures before and after a
// change, and writes the events they name in the change's own transaction. A state that merely
// stays low, exhausted or expired produces nothing; going back above the threshold (a release, a
// larger total) re-arms it, and the next fall produces the event again.

/** Units of one line, of the pool, or of the authorization: what is left of what was granted. */
export interface Units {
  available: number;
  total: number;
}

/** available ÷ total at or below `percent` % (SPEC §11: "falls to lowUnitsPercent or below"), in integers: no rounding. */
export function isLow(units: Units, percent: number): boolean {
  return units.total > 0 && units.available * 100 <= units.total * percent;
}

/** True only on a downward crossing of the threshold: not low before the change, low after it. */
export function lowUnitsCrossed(before: Units, after: Units, percent: number): boolean {
  return !isLow(before, percent) && isLow(after, percent);
}

/** True only when the change takes the available units to 0 from above 0. */
export function exhaustedCrossed(before: Units, after: Units): boolean {
  return before.available > 0 && after.available <= 0;
}

/** One line's (or the pool's: `lineId` null) units before and after a change. */
export interface UnitsChange {
  lineId: string | null;
  before: Units;
  after: Units;
}

export interface Crossing {
  type: Extract<EventType, 'authorization.low_units' | 'authorization.exhausted'>;
  /** For low_units: the line that crossed (null: the pool); undefined for exhausted. */
  lineId?: string | null;
}

/**
 * The crossings one change makes, in the order to write them: low_units for each line or pool
 * that fell to the threshold (in the order given), then exhausted when the authorization's own
 * available units fell to 0.
 */
export function crossings(changes: UnitsChange[], authorization: { before: Units; after: Units }, lowUnitsPercent: number): Crossing[] {
  const low: Crossing[] = changes.filter((c) => lowUnitsCrossed(c.before, c.after, lowUnitsPercent)).map((c) => ({ type: 'authorization.low_units', lineId: c.lineId }));
  return exhaustedCrossed(authorization.before, authorization.after) ? [...low, { type: 'authorization.exhausted' }] : low;
}

/**
 * The events of the crossings, to write after the change's own event (e.g. reservation.created):
 * `data` is the authorization as the API returns it after the change; a low_units event adds
 * `lineId` (null: the pool), SPEC §11's "data.lineId naming it".
 */
export function crossingEvents(organizationId: string, authorization: Record<string, unknown>, found: Crossing[]): NewEvent[] {
  return found.map((c) => ({
    type: c.type,
    organizationId,
    data: c.type === 'authorization.low_units' ? { ...authorization, lineId: c.lineId ?? null } : authorization,
  }));
}

const DAY_MS = 86_400_000;
const dayNumber = (date: string): number => Date.parse(`${date}T00:00:00Z`) / DAY_MS;

/**
 * SPEC §11 `authorization.expiring`: from `expiringWithinDays` days before `endDate` through
 * `endDate` itself (`today`, `endDate`: YYYY-MM-DD, the organization's today). The sweep writes it
 * once per authorization; this says only whether it is due.
 */
export function expiringDue(endDate: string, today: string, expiringWithinDays: number): boolean {
  const daysLeft = dayNumber(endDate) - dayNumber(today);
  return daysLeft >= 0 && daysLeft <= expiringWithinDays;
}

/** SPEC §11 `authorization.expired` (and the effective status EXPIRED of §3): today is after endDate. */
export function expiredDue(endDate: string, today: string): boolean {
  return dayNumber(today) > dayNumber(endDate);
}
