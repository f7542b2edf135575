import { AuthUser } from '../shared/auth/auth-user';
import { canSee } from '../shared/auth/tenant-scope';
import { Answer } from '../shared/idempotency/idempotent-answers';
import { NotFoundError } from '../shared/errors/api-error';
import { Settled } from '../shared/transactions/authorization-lanes';
import type { NewEvent } from '../events/events.repository';
import { crossingEventsBetween, figuresOf, reservationEvent, ReservationEventType, UnitFigures } from './authorization-events';
import { AuthorizationRow, BucketChange } from './authorization.repository';
import { LedgerEntryType } from './ledger-entry.entity';
import { LedgerLine } from './ledger.repository';
import { presentAuthorization, presentReservation } from './presenters';
import { UnitOperationResponse } from './reservation.dto';
import { ReservationRow } from './reservation.repository';
import { CommandResult } from './unit-command';
import { BucketRow, bucketKey, CapRow, capsOfLine, LineRow, periodOf } from './unit-limits';

/** A serialization failure of one command (SQLSTATE 40001): its caller retries it alone. */
export class MovedInThisBatch extends Error {
  readonly code = '40001';
  constructor() {
    super('the reservation was moved earlier in the same batch; retried on its own');
  }
}

export type FinishedStatus = 'RELEASED' | 'CONSUMED' | 'EXPIRED';

/** What a batch on one authorization decided: its rows to write, and each command's outcome. */
export interface BatchPlan {
  authorizationId: string;
  /** Counter changes for the authorization row (applied as deltas). */
  delta: { used: number; scheduled: number };
  /** The same per line with counters of its own (not a sole line's: those are the authorization's), by line id. */
  lineDeltas: Map<string, { used: number; scheduled: number }>;
  /** The same per cap bucket (bucketKey); `created` when the bucket did not exist before this batch. */
  bucketDeltas: Map<string, BucketChange & { created: boolean }>;
  newReservations: ReservationRow[];
  /** `expiring`: it had an expiresAt, so its row in reservation_expiries goes with it. */
  finishedReservations: { id: string; status: FinishedStatus; consumedUnits: number; expiring: boolean }[];
  /** Reservations moved (SPEC §10): their new units and date, by id; still SCHEDULED. */
  movedReservations: Map<string, { id: string; units: number; serviceDate: string }>;
  ledger: LedgerLine[];
  /** The SPEC §11 events of the changes, in order (written with them: the outbox). */
  events: NewEvent[];
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

  /** The lines as the decisions so far left them (copies), by id. */
  private readonly lines = new Map<string, LineRow>();
  /** The buckets that exist in the database (read for the batch). */
  private readonly stored: Set<string>;
  /** The counters as of the last event: the next one's crossings are measured from them. */
  private announced: UnitFigures | undefined;

  /**
   * `buckets`: the cap buckets read for the batch, by bucketKey (copies are made here); a bucket
   * not among them holds nothing yet and is created on first use.
   */
  constructor(
    authorizationId: string,
    authorization: AuthorizationRow | undefined,
    private readonly reservations: Map<string, ReservationRow>,
    readonly now: Date,
    private readonly buckets: Map<string, BucketRow> = new Map(),
  ) {
    this.nowIso = now.toISOString();
    const lines = (authorization?.lines ?? []).map((line) => ({ ...line }));
    for (const line of lines) this.lines.set(line.id, line);
    this.authorization = authorization ? { ...authorization, lines } : undefined;
    this.stored = new Set(buckets.keys());
    for (const [key, bucket] of buckets) buckets.set(key, { ...bucket });
    this.plan = {
      authorizationId, delta: { used: 0, scheduled: 0 }, lineDeltas: new Map(), bucketDeltas: new Map(),
      newReservations: [], finishedReservations: [], movedReservations: new Map(), ledger: [], events: [], answers: [], outcomes: [],
    };
    this.announced = authorization ? figuresOf(this.authorization!) : undefined;
  }

  /** A change of a reservation is done: its event, then the low_units/exhausted crossings it made. */
  announce(type: ReservationEventType, reservation: ReservationRow): void {
    const a = this.authorization!;
    this.plan.events.push(reservationEvent(type, reservation), ...crossingEventsBetween(this.announced!, a, this.now));
    this.announced = figuresOf(a);
  }

  /** Every line as it is now. */
  allLines(): LineRow[] {
    return [...this.lines.values()];
  }

  line(id: string): LineRow {
    const line = this.lines.get(id);
    if (!line) throw new Error(`line ${id} is not part of authorization ${this.plan.authorizationId}`);
    return line;
  }

  /** The bucket of `cap` containing `serviceDate`, as it is now (an empty one when nothing was held there yet). */
  bucket(cap: CapRow, serviceDate: string): BucketRow {
    const { start, end } = periodOf(cap.period, serviceDate, this.authorization!.weekStartsOn);
    const key = bucketKey(cap.id, start);
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { capId: cap.id, periodStart: start, periodEnd: end, period: cap.period, capUnits: cap.units, usedUnits: 0, scheduledUnits: 0 };
      this.buckets.set(key, bucket);
    }
    return bucket;
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

  /** Moves units of a hold (its line and date) on the counters of the authorization, the line and each cap's bucket. */
  move(hold: { lineId: string; serviceDate: string }, used: number, scheduled: number): void {
    const a = this.authorization!;
    a.usedUnits += used;
    a.scheduledUnits += scheduled;
    a.updatedAt = this.nowIso;
    this.plan.delta.used += used;
    this.plan.delta.scheduled += scheduled;
    const line = this.line(hold.lineId);
    line.usedUnits += used;
    line.scheduledUnits += scheduled;
    if (!line.sole) {
      const lineDelta = this.plan.lineDeltas.get(line.id) ?? { used: 0, scheduled: 0 };
      this.plan.lineDeltas.set(line.id, { used: lineDelta.used + used, scheduled: lineDelta.scheduled + scheduled });
    }
    for (const cap of capsOfLine(a.caps, line.id)) {
      const bucket = this.bucket(cap, hold.serviceDate);
      bucket.usedUnits += used;
      bucket.scheduledUnits += scheduled;
      const key = bucketKey(cap.id, bucket.periodStart);
      const change = this.plan.bucketDeltas.get(key) ?? { authorizationId: a.id, bucket, used: 0, scheduled: 0, created: !this.stored.has(key) };
      change.used += used;
      change.scheduled += scheduled;
      this.plan.bucketDeltas.set(key, change);
    }
  }

  /** A ledger line for a movement of a hold just made, with the authorization's counters as they are after it. */
  record(type: Exclude<LedgerEntryType, 'ADJUST'>, hold: { id: string; lineId: string; serviceDate: string }, units: number, actorId: string | null): void {
    const a = this.authorization!;
    this.plan.ledger.push({
      authorizationId: a.id, reservationId: hold.id, lineId: hold.lineId, serviceDate: hold.serviceDate, type, units, actorId,
      totalAfter: a.totalUnits, usedAfter: a.usedUnits, scheduledAfter: a.scheduledUnits,
    });
  }

  schedule(reservation: ReservationRow): void {
    this.reservations.set(reservation.id, reservation);
    this.plan.newReservations.push(reservation);
  }

  /** The reservation with new units and date, still SCHEDULED (a move). */
  reschedule(reservation: ReservationRow, units: number, serviceDate: string): ReservationRow {
    const moved = { ...reservation, units, serviceDate, updatedAt: this.nowIso };
    this.reservations.set(reservation.id, moved);
    this.plan.movedReservations.set(reservation.id, { id: reservation.id, units, serviceDate });
    return moved;
  }

  finish(reservation: ReservationRow, status: FinishedStatus, consumedUnits: number): ReservationRow {
    // One statement cannot both move a row and finish it (and the guard trigger forbids a row that
    // leaves SCHEDULED to change its units): the later command is retried on its own, in a later batch.
    if (this.plan.movedReservations.has(reservation.id)) throw new MovedInThisBatch();
    const finished = { ...reservation, status, consumedUnits, updatedAt: this.nowIso };
    this.reservations.set(reservation.id, finished);
    this.plan.finishedReservations.push({ id: reservation.id, status, consumedUnits, expiring: reservation.expiresAt !== null });
    return finished;
  }

  /** The answer to a request: the reservation and the authorization as they are now. */
  respond(reservation: ReservationRow): UnitOperationResponse {
    return { reservation: presentReservation(reservation), authorization: presentAuthorization(this.authorization!, this.now) };
  }
}
