import { ValidationFailedError } from '../shared/errors/api-error';
import { AuthorizationNotActiveError, InsufficientUnitsError, OutsideAuthorizationPeriodError, ReservationNotScheduledError, UnitsExceedReservationError } from '../shared/errors/business-errors';

export type EffectiveStatus = 'PENDING' | 'ACTIVE' | 'CANCELLED' | 'EXPIRED' | 'EXHAUSTED';
export const EFFECTIVE_STATUSES: EffectiveStatus[] = ['PENDING', 'ACTIVE', 'CANCELLED', 'EXPIRED', 'EXHAUSTED'];

export interface UnitCounters {
  status: 'PENDING' | 'ACTIVE' | 'CANCELLED';
  totalUnits: number;
  /** The sum of the lines' totals (SPEC §10); totalUnits when absent (one line, no pool). */
  linesTotalUnits?: number;
  usedUnits: number;
  scheduledUnits: number;
  startDate: string;
  endDate: string;
}

/** The tightest of the pool (totalUnits) and the lines together, less what is held (SPEC §10 compatibility). */
export const availableUnits = (a: UnitCounters): number => Math.min(a.totalUnits, a.linesTotalUnits ?? a.totalUnits) - a.usedUnits - a.scheduledUnits;

/** SPEC §3: computed at read time, never stored. Dates compare as YYYY-MM-DD strings. */
export function effectiveStatus(a: UnitCounters, today: string): EffectiveStatus {
  if (a.status !== 'ACTIVE') return a.status;
  if (today > a.endDate) return 'EXPIRED';
  if (availableUnits(a) === 0) return 'EXHAUSTED';
  return 'ACTIVE';
}

/** Reserve: expiry (when given) in the future, stored status ACTIVE, service date within the period, enough units. */
export function checkReserve(a: UnitCounters, units: number, serviceDate: string, expiresAt: string | null = null, now = new Date()): void {
  checkExpiresAt(expiresAt, now);
  checkReservable(a, serviceDate);
  const available = availableUnits(a);
  if (units > available) throw new InsufficientUnitsError(available, units);
}

/** A hold's expiry, when given, lies in the future. */
export function checkExpiresAt(expiresAt: string | null, now: Date): void {
  if (expiresAt !== null && Date.parse(expiresAt) <= now.getTime()) {
    throw new ValidationFailedError([{ field: 'expiresAt', message: 'expiresAt must be in the future' }]);
  }
}

/** Units may be held on the authorization for that date: stored status ACTIVE, the date within its period. */
export function checkReservable(a: UnitCounters, serviceDate: string): void {
  if (a.status !== 'ACTIVE') throw new AuthorizationNotActiveError(a.status);
  if (serviceDate < a.startDate || serviceDate > a.endDate) {
    throw new OutsideAuthorizationPeriodError(serviceDate, a.startDate, a.endDate);
  }
}

export interface ReservationState {
  status: string;
  units: number;
  /** ISO-8601 instant, or null for a hold without expiry. */
  expiresAt: string | null;
}

/** Release and consume need a reservation still SCHEDULED and not past its expiry. */
export function checkStillScheduled(r: ReservationState, now: Date): void {
  if (r.status !== 'SCHEDULED') throw new ReservationNotScheduledError(r.status);
  if (r.expiresAt && Date.parse(r.expiresAt) <= now.getTime()) throw new ReservationNotScheduledError('EXPIRED');
}

/** Consume: also the authorization not CANCELLED, and no more units than reserved. Returns the units consumed. */
export function checkConsume(r: ReservationState, authorizationStatus: string, requested: number | undefined, now: Date): number {
  checkStillScheduled(r, now);
  if (authorizationStatus === 'CANCELLED') throw new AuthorizationNotActiveError('CANCELLED');
  const units = requested ?? r.units;
  if (units > r.units) throw new UnitsExceedReservationError(units, r.units);
  return units;
}
