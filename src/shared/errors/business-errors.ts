import { ApiError, ConflictError, ServiceUnavailableError, ValidationFailedError } from './api-error';

// One type per business rule of SPEC §4–5, each with its status and code.

export class InsufficientUnitsError extends ConflictError {
  constructor(availableUnits: number, requestedUnits: number) {
    super('INSUFFICIENT_UNITS', `Only ${availableUnits} units are available, ${requestedUnits} requested`, {
      availableUnits,
      requestedUnits,
    });
  }
}

export class AuthorizationNotActiveError extends ConflictError {
  constructor(status: string) {
    super('AUTHORIZATION_NOT_ACTIVE', `The authorization is ${status}`, { authorizationStatus: status });
  }
}

export class OutsideAuthorizationPeriodError extends ConflictError {
  constructor(serviceDate: string, startDate: string, endDate: string) {
    super('OUTSIDE_AUTHORIZATION_PERIOD', `Service date ${serviceDate} is outside ${startDate}..${endDate}`, {
      serviceDate,
      startDate,
      endDate,
    });
  }
}

export class ReservationNotScheduledError extends ConflictError {
  constructor(status: string) {
    super('RESERVATION_NOT_SCHEDULED', `The reservation is ${status}`, { reservationStatus: status });
  }
}

export class UnitsExceedReservationError extends ValidationFailedError {
  constructor(requested: number, reserved: number) {
    super([{ field: 'units', message: `must not exceed the reservation's ${reserved} units (got ${requested})` }]);
  }
}

export class TotalBelowAllocatedError extends ConflictError {
  constructor(totalUnits: number, allocatedUnits: number) {
    super('TOTAL_BELOW_ALLOCATED', `totalUnits ${totalUnits} is below the ${allocatedUnits} units used or scheduled`, {
      allocatedUnits,
      requestedTotalUnits: totalUnits,
    });
  }
}

export class HasScheduledUnitsError extends ConflictError {
  constructor(scheduledUnits: number) {
    super('HAS_SCHEDULED_UNITS', `Release the ${scheduledUnits} scheduled units first`, { scheduledUnits });
  }
}

export class HasUnitActivityError extends ConflictError {
  constructor() {
    super('HAS_UNIT_ACTIVITY', 'Units were reserved on this authorization; cancel it instead');
  }
}

export class AuthNumberTakenError extends ConflictError {
  constructor() {
    super('AUTH_NUMBER_TAKEN', 'An authorization with this authNumber exists in the organization');
  }
}

export class EmailTakenError extends ConflictError {
  constructor() {
    super('EMAIL_TAKEN', 'A user with this email exists');
  }
}

export class IdempotencyKeyMismatchError extends ApiError {
  constructor() {
    super(422, 'IDEMPOTENCY_KEY_MISMATCH', 'This Idempotency-Key was used with another method, path or body');
  }
}

export class ContentionRetryExhaustedError extends ServiceUnavailableError {
  constructor(attempts: number) {
    super('CONTENTION_RETRY_EXHAUSTED', `Gave up after ${attempts} attempts on conflicting transactions; retry later`);
  }
}

// SPEC §10: authorizations with lines, pools and caps per period.

export class LineRequiredError extends ApiError {
  constructor(serviceCodes: string[]) {
    super(400, 'LINE_REQUIRED', `The authorization has several lines (${serviceCodes.join(', ')}): name serviceCode (and modifiers when they decide)`, { serviceCodes });
  }
}

export class NoMatchingLineError extends ConflictError {
  constructor(serviceCode: string, modifiers: string[] | undefined) {
    super('NO_MATCHING_LINE', `The authorization has no line for ${[serviceCode, ...(modifiers ?? [])].join('-')}`, { serviceCode, modifiers: modifiers ?? null });
  }
}

export interface BucketShortfall {
  period: string;
  periodStart: string;
  periodEnd: string;
  capUnits: number;
  availableUnits: number;
  requestedUnits: number;
}

export class PeriodCapExceededError extends ConflictError {
  constructor(b: BucketShortfall) {
    super('PERIOD_CAP_EXCEEDED', `Only ${b.availableUnits} of the ${b.period} cap of ${b.capUnits} units are left for ${b.periodStart}..${b.periodEnd}, ${b.requestedUnits} requested`, { ...b });
  }
}

export interface CandidateRefusal {
  authorizationId: string;
  code: string;
  availableUnits: number;
}

export class NoAuthorizationAvailableError extends ConflictError {
  constructor(candidates: CandidateRefusal[]) {
    super('NO_AUTHORIZATION_AVAILABLE', candidates.length ? `None of the ${candidates.length} eligible authorizations can take it` : 'No eligible authorization (ACTIVE, covering the date, with a matching line)', { candidates });
  }
}

export class CapBelowHeldError extends ConflictError {
  constructor(period: string, capUnits: number, heldUnits: number, periodStart: string) {
    super('CAP_BELOW_HELD', `A ${period} cap of ${capUnits} is below the ${heldUnits} units held in the period from ${periodStart}`, { period, capUnits, heldUnits, periodStart });
  }
}
