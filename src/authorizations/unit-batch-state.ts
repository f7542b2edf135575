import { AuthUser } from '../shared/auth/auth-user';
import { canSee } from '../shared/auth/tenant-scope';
import { Answer } from '../shared/idempotency/idempotent-answers';
import { NotFoundError } from '../shared/errors/api-error';
import { Settled } from '../shared/transactions/authorization-lanes';
import { AuthorizationRow } from './authorization.repository';
import { LedgerEntryType } from './ledger-entry.entity';
import { LedgerLine } from './ledger.repository';
import { presentAuthorization, presentReservation } from './presenters';
import { UnitOperationResponse } from './reservation.dto';
import { ReservationRow } from './reservation.repository';
import { CommandResult } from './unit-command';

export type FinishedStatus = 'RELEASED' | 'CONSUMED' | 'EXPIRED';

/** What a batch on one authorization decided: its rows to write, and each command's outcome. */
export interface BatchPlan {
  authorizationId: string;
  /** Counter changes for the authorization row (applied as deltas). */
  delta: { used: number; scheduled: number };
  newReservations: ReservationRow[];
  /** `expiring`: it had an expiresAt, so its row in reservation_expiries goes with it. */
  finishedReservations: { id: string; status: FinishedStatus; consumedUnits: number; expiring: boolean }[];
  ledger: LedgerLine[];
  answers: Answer[];
  outcomes: Settled<CommandResult>[];
}

/**
 * One authorization and its reservations while a batch is decided in memory: each decision reads
 * the state the previous ones left and records its changes here (counters, reservations, ledger
 * lines), which become the batch's writes.
 */
export class BatchState {
  readonly plan: BatchPlan;
  readonly nowIso: string;
  /** The authorization as the decisions so far left it; undefined when not found (or not visible to any caller). */
  readonly authorization: AuthorizationRow | undefined;

  constructor(
    authorizationId: string,
    authorization: AuthorizationRow | undefined,
    private readonly reservations: Map<string, ReservationRow>,
    readonly now: Date,
  ) {
    this.nowIso = now.toISOString();
    this.authorization = authorization ? { ...authorization } : undefined;
    this.plan = { authorizationId, delta: { used: 0, scheduled: 0 }, newReservations: [], finishedReservations: [], ledger: [], answers: [], outcomes: [] };
  }

  /** The authorization if the caller may see it; otherwise `notFound` (what the caller asked about) is a 404. */
  visibleAuthorization(caller: AuthUser, notFound: 'Authorization' | 'Reservation'): AuthorizationRow {
    if (!this.authorization || !canSee(caller, this.authorization.organizationId)) throw new NotFoundError(notFound);
    return this.authorization;
  }

  reservation(id: string): ReservationRow | undefined {
    return this.reservations.get(id);
  }

  /** The reservation if the caller may see it; otherwise a 404. */
  visibleReservation(caller: AuthUser, id: string): ReservationRow {
    const reservation = this.reservations.get(id);
    if (!reservation || !canSee(caller, reservation.organizationId)) throw new NotFoundError('Reservation');
    return reservation;
  }

  /** Moves units on the authorization's counters. */
  move(used: number, scheduled: number): void {
    const a = this.authorization!;
    a.usedUnits += used;
    a.scheduledUnits += scheduled;
    a.updatedAt = this.nowIso;
    this.plan.delta.used += used;
    this.plan.delta.scheduled += scheduled;
  }

  /** A ledger line for a movement just made, with the counters as they are after it. */
  record(type: Exclude<LedgerEntryType, 'ADJUST'>, reservationId: string, units: number, actorId: string | null): void {
    const a = this.authorization!;
    this.plan.ledger.push({
      authorizationId: a.id, reservationId, type, units, actorId,
      totalAfter: a.totalUnits, usedAfter: a.usedUnits, scheduledAfter: a.scheduledUnits,
    });
  }

  schedule(reservation: ReservationRow): void {
    this.reservations.set(reservation.id, reservation);
    this.plan.newReservations.push(reservation);
  }

  finish(reservation: ReservationRow, status: FinishedStatus, consumedUnits: number): ReservationRow {
    const finished = { ...reservation, status, consumedUnits, updatedAt: this.nowIso };
    this.reservations.set(reservation.id, finished);
    this.plan.finishedReservations.push({ id: reservation.id, status, consumedUnits, expiring: reservation.expiresAt !== null });
    return finished;
  }

  /** The answer to a request: the reservation and the authorization as they are now. */
  respond(reservation: ReservationRow): UnitOperationResponse {
    return { reservation: presentReservation(reservation), authorization: presentAuthorization(this.authorization!, this.nowIso.slice(0, 10)) };
  }
}
