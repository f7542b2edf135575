import { crossingEvents, crossings, Units, UnitsChange } from '../events/event-rules';
import type { EventType } from '../events/event-types';
import type { NewEvent } from '../events/events.repository';
import { AuthorizationRow } from './authorization.repository';
import { presentAuthorization, presentReservation } from './presenters';
import { ReservationRow } from './reservation.repository';
import { lineAvailable } from './unit-limits';

// The SPEC §11 events of a change of an authorization or of its reservations, written by the
// change's own transaction (the outbox, src/events). Pure: the rows before and after in, events out.

export type ReservationEventType = Extract<EventType, `reservation.${string}`>;

/** The counters an event rule reads: each line, the pool, the authorization as a whole. */
export type UnitFigures = Pick<AuthorizationRow, 'totalUnits' | 'linesTotalUnits' | 'usedUnits' | 'scheduledUnits' | 'poolUnits'> & {
  lines: { id: string; totalUnits: number; available: number }[];
};

export function figuresOf(a: AuthorizationRow): UnitFigures {
  const { totalUnits, linesTotalUnits, usedUnits, scheduledUnits, poolUnits } = a;
  return { totalUnits, linesTotalUnits, usedUnits, scheduledUnits, poolUnits, lines: a.lines.map((l) => ({ id: l.id, totalUnits: l.totalUnits, available: lineAvailable(l) })) };
}

/** The authorization as a whole: the tighter of the pool and the lines' totals (availableUnits of SPEC §10). */
const whole = (f: UnitFigures): Units => {
  const total = Math.min(f.totalUnits, f.linesTotalUnits);
  return { available: total - f.usedUnits - f.scheduledUnits, total };
};

/**
 * low_units for each line (and the pool, lineId null) whose available ÷ total fell to the
 * organization's lowUnitsPercent or below, then exhausted when the authorization's available
 * units fell to 0 — each only on the way down (SPEC §11 "once per downward crossing").
 */
export function crossingEventsBetween(before: UnitFigures, after: AuthorizationRow, now: Date): NewEvent[] {
  const changes: UnitsChange[] = after.lines.flatMap((line) => {
    const was = before.lines.find((l) => l.id === line.id);
    return was ? [{ lineId: line.id, before: { available: was.available, total: was.totalUnits }, after: { available: lineAvailable(line), total: line.totalUnits } }] : [];
  });
  if (after.poolUnits !== null && before.poolUnits !== null) {
    changes.push({
      lineId: null,
      before: { available: before.poolUnits - before.usedUnits - before.scheduledUnits, total: before.poolUnits },
      after: { available: after.poolUnits - after.usedUnits - after.scheduledUnits, total: after.poolUnits },
    });
  }
  const found = crossings(changes, { before: whole(before), after: whole(figuresOf(after)) }, after.lowUnitsPercent);
  return found.length ? crossingEvents(after.organizationId, presentAuthorization(after, now) as unknown as Record<string, unknown>, found) : [];
}

export const reservationEvent = (type: ReservationEventType, reservation: ReservationRow): NewEvent => ({
  type,
  organizationId: reservation.organizationId,
  data: presentReservation(reservation),
});

export const authorizationEvent = (type: 'authorization.created' | 'authorization.updated', a: AuthorizationRow, now: Date): NewEvent => ({
  type,
  organizationId: a.organizationId,
  data: presentAuthorization(a, now),
});
