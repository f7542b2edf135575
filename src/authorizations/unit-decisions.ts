import { Outcome } from '../shared/idempotency/idempotency-context';
import { checkConsume, checkReserve, checkStillScheduled } from './authorization-rules';
import { UnitOperationResponse } from './reservation.dto';
import { ReservationRow } from './reservation.repository';
import { BatchState } from './unit-batch-state';
import { ConsumeCommand, ExpireCommand, ReleaseCommand, ReserveCommand } from './unit-command';

// One decision per operation (SPEC §4): the plain rules of authorization-rules.ts applied to the
// state the batch's previous commands left, the changes recorded in the BatchState. A refusal is
// thrown (an ApiError) and changes nothing.

type Answered = Outcome<UnitOperationResponse>;

export function decideReserve(batch: BatchState, command: ReserveCommand): Answered {
  const { caller } = command;
  const authorization = batch.visibleAuthorization(caller, 'Authorization');
  checkReserve(authorization, command.units, command.serviceDate, command.expiresAt, batch.now);
  const reservation: ReservationRow = {
    id: command.reservationId, authorizationId: authorization.id, organizationId: authorization.organizationId, units: command.units,
    serviceDate: command.serviceDate, reference: command.reference, expiresAt: command.expiresAt, status: 'SCHEDULED',
    consumedUnits: 0, createdBy: caller.id, createdAt: batch.nowIso, updatedAt: batch.nowIso,
  };
  batch.schedule(reservation);
  batch.move(0, command.units);
  batch.record('RESERVE', reservation.id, command.units, caller.id);
  return { value: batch.respond(reservation), replayed: false };
}

export function decideRelease(batch: BatchState, command: ReleaseCommand): Answered {
  const { caller } = command;
  batch.visibleAuthorization(caller, 'Reservation');
  const reservation = batch.visibleReservation(caller, command.reservationId);
  checkStillScheduled(reservation, batch.now);
  const finished = batch.finish(reservation, 'RELEASED', 0);
  batch.move(0, -reservation.units);
  batch.record('RELEASE', reservation.id, reservation.units, caller.id);
  return { value: batch.respond(finished), replayed: false };
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
    batch.move(consumed, -consumed);
    batch.record('CONSUME', reservation.id, consumed, caller.id);
  }
  if (remainder > 0) {
    batch.move(0, -remainder);
    batch.record('RELEASE', reservation.id, remainder, caller.id);
  }
  return { value: batch.respond(finished), replayed: false };
}

/** False when the reservation is no longer due (released, consumed, or its expiresAt moved away): nothing to do. */
export function decideExpire(batch: BatchState, command: ExpireCommand): boolean {
  const reservation = batch.reservation(command.reservationId);
  if (!batch.authorization || !reservation || reservation.status !== 'SCHEDULED' || !reservation.expiresAt || Date.parse(reservation.expiresAt) > batch.now.getTime()) {
    return false;
  }
  batch.finish(reservation, 'EXPIRED', 0);
  batch.move(0, -reservation.units);
  batch.record('EXPIRE', reservation.id, reservation.units, null);
  return true;
}
