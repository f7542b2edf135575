import { Outcome } from '../shared/idempotency/idempotency-context';
import { todayIn } from '../shared/http/calendar';
import { checkConsume, checkExpiresAt, checkReservable, checkStillScheduled } from './authorization-rules';
import { UnitOperationResponse } from './reservation.dto';
import { ReservationRow } from './reservation.repository';
import { BatchState } from './unit-batch-state';
import { ApiError } from '../shared/errors/api-error';
import { CandidateRefusal, NoAuthorizationAvailableError } from '../shared/errors/business-errors';
import { canSee } from '../shared/auth/tenant-scope';
import { ConsumeCommand, ExpireCommand, MoveCommand, ReleaseCommand, ReserveCommand, ReserveForPatientCommand } from './unit-command';
import { canonicalModifiers, checkLimits, LineRow, resolveLine } from './unit-limits';

// One decision per operation (SPEC §4): the plain rules of authorization-rules.ts applied to the
// state the batch's previous commands left, the changes recorded in the BatchState. A refusal is
// thrown (an ApiError) and changes nothing.

type Answered = Outcome<UnitOperationResponse>;

export function decideReserve(batch: BatchState, command: ReserveCommand): Answered {
  const { caller } = command;
  const authorization = batch.visibleAuthorization(caller, 'Authorization');
  checkExpiresAt(command.expiresAt, batch.now);
  const line = resolveLine(batch.allLines(), command.serviceCode, command.modifiers);
  const serviceDate = command.serviceDate ?? todayIn(authorization.timeZone, batch.now);
  checkReservable(authorization, serviceDate);
  checkLimits(authorization, line, authorization.caps, (cap) => batch.bucket(cap, serviceDate), serviceDate, authorization.weekStartsOn, command.units);
  return hold(batch, line, serviceDate, command);
}

/** A new SCHEDULED reservation on a line whose limits were checked. */
function hold(batch: BatchState, line: LineRow, serviceDate: string, command: ReserveCommand | ReserveForPatientCommand): Answered {
  const authorization = batch.authorization!;
  const reservation: ReservationRow = {
    id: command.reservationId, authorizationId: authorization.id, organizationId: authorization.organizationId, lineId: line.id, units: command.units,
    serviceDate, reference: command.reference, expiresAt: command.expiresAt, status: 'SCHEDULED',
    consumedUnits: 0, createdBy: command.caller.id, createdAt: batch.nowIso, updatedAt: batch.nowIso,
  };
  batch.schedule(reservation);
  batch.move(reservation, 0, command.units);
  batch.record('RESERVE', reservation, command.units, command.caller.id);
  batch.announce('reservation.created', reservation);
  return { value: batch.respond(reservation), replayed: false };
}

/**
 * SPEC §10: the first candidate (they come ending first, then oldest) that is still eligible —
 * visible, the patient's, ACTIVE, its dates covering the day, a line matching — and on which the
 * units fit every limit. None: 409 NO_AUTHORIZATION_AVAILABLE listing each eligible one's refusal.
 */
export function decideReserveForPatient(candidates: BatchState[], command: ReserveForPatientCommand): { result: Answered; state: BatchState } {
  checkExpiresAt(command.expiresAt, candidates[0].now);
  const refusals: CandidateRefusal[] = [];
  for (const batch of candidates) {
    const a = batch.authorization;
    const day = command.serviceDate;
    if (!a || !canSee(command.caller, a.organizationId) || a.patientId !== command.patientId || a.status !== 'ACTIVE' || day < a.startDate || day > a.endDate) continue;
    const line = batch.allLines().find((l) => l.serviceCode === command.serviceCode && (command.modifiers === undefined || l.modifiers === canonicalModifiers(command.modifiers)));
    if (!line) continue;
    try {
      checkLimits(a, line, a.caps, (cap) => batch.bucket(cap, day), day, a.weekStartsOn, command.units);
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      refusals.push({ authorizationId: a.id, code: error.code, availableUnits: error.extra.availableUnits as number });
      continue;
    }
    return { result: hold(batch, line, day, command), state: batch };
  }
  throw new NoAuthorizationAvailableError(refusals);
}

export function decideRelease(batch: BatchState, command: ReleaseCommand): Answered {
  const { caller } = command;
  batch.visibleAuthorization(caller, 'Reservation');
  const reservation = batch.visibleReservation(caller, command.reservationId);
  checkStillScheduled(reservation, batch.now);
  const finished = batch.finish(reservation, 'RELEASED', 0);
  batch.move(reservation, 0, -reservation.units);
  batch.record('RELEASE', reservation, reservation.units, caller.id);
  batch.announce('reservation.released', finished);
  return { value: batch.respond(finished), replayed: false };
}

/**
 * SPEC §10 moving a session: the new units and date on the same line, checked against every limit
 * as if the old hold were already gone; then RELEASE of the old hold and RESERVE of the new one.
 * Nothing changes when neither does (200, no ledger); a refusal changes nothing.
 */
export function decideMove(batch: BatchState, command: MoveCommand): Answered {
  const { caller } = command;
  const authorization = batch.visibleAuthorization(caller, 'Reservation');
  const reservation = batch.visibleReservation(caller, command.reservationId);
  checkStillScheduled(reservation, batch.now);
  const units = command.units ?? reservation.units;
  const serviceDate = command.serviceDate ?? reservation.serviceDate;
  if (units === reservation.units && serviceDate === reservation.serviceDate) return { value: batch.respond(reservation), replayed: false };
  checkReservable(authorization, serviceDate);
  const line = batch.line(reservation.lineId);
  const freed = { lineId: line.id, serviceDate: reservation.serviceDate, units: reservation.units };
  checkLimits(authorization, line, authorization.caps, (cap) => batch.bucket(cap, serviceDate), serviceDate, authorization.weekStartsOn, units, freed);
  batch.move(reservation, 0, -reservation.units);
  batch.record('RELEASE', reservation, reservation.units, caller.id);
  const moved = batch.reschedule(reservation, units, serviceDate);
  batch.move(moved, 0, units);
  batch.record('RESERVE', moved, units, caller.id);
  batch.announce('reservation.modified', moved);
  return { value: batch.respond(moved), replayed: false };
}

/** Ledger order: CONSUME for what was used, then RELEASE for the rest, each with its own "after". */
export function decideConsume(batch: BatchState, command: ConsumeCommand): Answered {
  const { caller } = command;
  const authorization = batch.visibleAuthorization(caller, 'Reservation');
  const reservation = batch.visibleReservation(caller, command.reservationId);
  const consumed = checkConsume(reservation, authorization.status, command.units, batch.now);
  const remainder = reservation.units - consumed;
  const finished = batch.finish(reservation, 'CONSUMED', consumed);
  if (consumed > 0) {
    batch.move(reservation, consumed, -consumed);
    batch.record('CONSUME', reservation, consumed, caller.id);
  }
  if (remainder > 0) {
    batch.move(reservation, 0, -remainder);
    batch.record('RELEASE', reservation, remainder, caller.id);
  }
  batch.announce('reservation.consumed', finished);
  return { value: batch.respond(finished), replayed: false };
}

/** False when the reservation is no longer due (released, consumed, or its expiresAt moved away): nothing to do. */
export function decideExpire(batch: BatchState, command: ExpireCommand): boolean {
  const reservation = batch.reservation(command.reservationId);
  if (!batch.authorization || !reservation || reservation.status !== 'SCHEDULED' || !reservation.expiresAt || Date.parse(reservation.expiresAt) > batch.now.getTime()) {
    return false;
  }
  const expired = batch.finish(reservation, 'EXPIRED', 0);
  batch.move(reservation, 0, -reservation.units);
  batch.record('EXPIRE', reservation, reservation.units, null);
  batch.announce('reservation.expired', expired);
  return true;
}
