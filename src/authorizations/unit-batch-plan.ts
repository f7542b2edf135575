import { AuthUser } from '../auth/auth-user';
import { Role } from '../auth/role';
import { answerKey, IdempotencyContext, Outcome } from '../idempotency/idempotency-context';
import { StoredAnswer } from '../idempotency/idempotency.store';
import { NotFoundError } from '../shared/errors/api-error';
import { IdempotencyKeyMismatchError } from '../shared/errors/business-errors';
import { Settled } from '../shared/transactions/authorization-lanes';
import { markBusinessRejection } from '../shared/transactions/unit-of-work.service';
import { checkConsume, checkReserve, checkStillScheduled } from './authorization-rules';
import { AuthorizationRow, presentAuthorization, presentReservation, ReservationRow } from './authorization-sql';
import { LedgerLine } from './ledger-writer';
import { UnitOperationResponse } from './reservation.dto';

interface Keyed {
  caller: AuthUser;
  idempotency?: IdempotencyContext;
}

/** One client request for units, queued in its authorization's lane. */
export type UnitCommand = { authorizationId: string } & (
  | (Keyed & { kind: 'reserve'; reservationId: string; units: number; serviceDate: string; reference: string | null; expiresAt: string | null })
  | (Keyed & { kind: 'release'; reservationId: string })
  | (Keyed & { kind: 'consume'; reservationId: string; units?: number })
  | { kind: 'expire'; reservationId: string }
);

export type CommandResult = Outcome<UnitOperationResponse> | boolean;

export interface BatchPlan {
  authorizationId: string;
  /** Counter changes for the authorization row (applied as deltas). */
  delta: { used: number; scheduled: number };
  newReservations: ReservationRow[];
  /** `expiring`: it had an expiresAt, so its row in reservation_expiries goes with it. */
  finishedReservations: { id: string; status: 'RELEASED' | 'CONSUMED' | 'EXPIRED'; consumedUnits: number; expiring: boolean }[];
  ledger: LedgerLine[];
  answers: { idempotency: IdempotencyContext; body: UnitOperationResponse }[];
  outcomes: Settled<CommandResult>[];
}

const sees = (caller: AuthUser, organizationId: string) => caller.role === Role.SUPER_ADMIN || caller.organizationId === organizationId;

/**
 * Decides the commands on one authorization, in arrival order, in memory: each command is
 * checked against the state the previous ones left (the same rules as alone), answered on its
 * own, and contributes its rows to one set of writes. Pure: no I/O, so the combined path is
 * tested like the rules themselves.
 */
export function planBatch(
  authorizationId: string,
  authorization: AuthorizationRow | undefined,
  reservations: Map<string, ReservationRow>,
  storedAnswers: Map<string, StoredAnswer>,
  commands: UnitCommand[],
  now: Date,
): BatchPlan {
  const nowIso = now.toISOString();
  const plan: BatchPlan = { authorizationId, delta: { used: 0, scheduled: 0 }, newReservations: [], finishedReservations: [], ledger: [], answers: [], outcomes: [] };
  const state = authorization ? { ...authorization } : undefined;

  const after = () => ({ totalAfter: state!.totalUnits, usedAfter: state!.usedUnits, scheduledAfter: state!.scheduledUnits });
  const move = (used: number, scheduled: number) => {
    state!.usedUnits += used;
    state!.scheduledUnits += scheduled;
    state!.updatedAt = nowIso;
    plan.delta.used += used;
    plan.delta.scheduled += scheduled;
  };
  const finish = (reservation: ReservationRow, status: 'RELEASED' | 'CONSUMED' | 'EXPIRED', consumedUnits: number) => {
    const finished = { ...reservation, status, consumedUnits, updatedAt: nowIso };
    reservations.set(reservation.id, finished);
    plan.finishedReservations.push({ id: reservation.id, status, consumedUnits, expiring: reservation.expiresAt !== null });
    return finished;
  };
  const respond = (reservation: ReservationRow): UnitOperationResponse => ({
    reservation: presentReservation(reservation),
    authorization: presentAuthorization(state!, nowIso.slice(0, 10)),
  });
  const visibleReservation = (caller: AuthUser, id: string) => {
    const reservation = reservations.get(id);
    if (!reservation || !sees(caller, reservation.organizationId)) throw new NotFoundError('Reservation');
    return reservation;
  };

  const decide = (command: UnitCommand): CommandResult => {
    if (command.kind === 'expire') {
      const reservation = reservations.get(command.reservationId);
      if (!state || !reservation || reservation.status !== 'SCHEDULED' || !reservation.expiresAt || Date.parse(reservation.expiresAt) > now.getTime()) {
        return false;
      }
      finish(reservation, 'EXPIRED', 0);
      move(0, -reservation.units);
      plan.ledger.push({ ...after(), authorizationId: state.id, reservationId: reservation.id, type: 'EXPIRE', units: reservation.units, actorId: null });
      return true;
    }
    const { caller } = command;
    if (!state || !sees(caller, state.organizationId)) throw new NotFoundError(command.kind === 'reserve' ? 'Authorization' : 'Reservation');
    const base = { authorizationId: state.id, actorId: caller.id };
    switch (command.kind) {
      case 'reserve': {
        checkReserve(state, command.units, command.serviceDate, command.expiresAt, now);
        const reservation: ReservationRow = {
          id: command.reservationId, authorizationId: state.id, organizationId: state.organizationId, units: command.units,
          serviceDate: command.serviceDate, reference: command.reference, expiresAt: command.expiresAt, status: 'SCHEDULED',
          consumedUnits: 0, createdBy: caller.id, createdAt: nowIso, updatedAt: nowIso,
        };
        reservations.set(reservation.id, reservation);
        plan.newReservations.push(reservation);
        move(0, command.units);
        plan.ledger.push({ ...base, ...after(), reservationId: reservation.id, type: 'RESERVE', units: command.units });
        return { value: respond(reservation), replayed: false };
      }
      case 'release': {
        const reservation = visibleReservation(caller, command.reservationId);
        checkStillScheduled(reservation, now);
        const finished = finish(reservation, 'RELEASED', 0);
        move(0, -reservation.units);
        plan.ledger.push({ ...base, ...after(), reservationId: reservation.id, type: 'RELEASE', units: reservation.units });
        return { value: respond(finished), replayed: false };
      }
      case 'consume': {
        const reservation = visibleReservation(caller, command.reservationId);
        const consumed = checkConsume(reservation, state.status, command.units, now);
        const remainder = reservation.units - consumed;
        const finished = finish(reservation, 'CONSUMED', consumed);
        // Ledger order: CONSUME for what was used, then RELEASE for the rest, each with its own "after".
        if (consumed > 0) {
          move(consumed, -consumed);
          plan.ledger.push({ ...base, ...after(), reservationId: reservation.id, type: 'CONSUME', units: consumed });
        }
        if (remainder > 0) {
          move(0, -remainder);
          plan.ledger.push({ ...base, ...after(), reservationId: reservation.id, type: 'RELEASE', units: remainder });
        }
        return { value: respond(finished), replayed: false };
      }
    }
  };

  for (const command of commands) {
    try {
      const idempotency = command.kind === 'expire' ? undefined : command.idempotency;
      const stored = idempotency && storedAnswers.get(answerKey(idempotency));
      if (idempotency && stored) {
        if (stored.fingerprint !== idempotency.fingerprint) throw new IdempotencyKeyMismatchError();
        plan.outcomes.push({ ok: true, value: { value: stored.body as UnitOperationResponse, replayed: true } });
        continue;
      }
      const result = decide(command);
      if (idempotency && typeof result === 'object') {
        storedAnswers.set(answerKey(idempotency), { fingerprint: idempotency.fingerprint, body: result.value });
        plan.answers.push({ idempotency, body: result.value });
      }
      plan.outcomes.push({ ok: true, value: result });
    } catch (error) {
      plan.outcomes.push({ ok: false, error: markBusinessRejection(error) });
    }
  }
  return plan;
}
