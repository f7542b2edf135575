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
