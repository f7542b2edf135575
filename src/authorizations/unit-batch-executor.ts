import { Injectable } from '@nestjs/common';
import { Sql } from '../database/database.service';
import { SerializableReads } from '../database/serializable-reads';
import { idempotencyRepository, StoredAnswer } from '../idempotency/idempotency.repository';
import { MetricsService, UnitMovement } from '../metrics/metrics.service';
import { Settled } from '../shared/transactions/authorization-lanes';
import { UnitOfWork } from '../shared/transactions/unit-of-work.service';
import { availableUnits } from './authorization-rules';
import { authorizationRepository, AuthorizationRow } from './authorization.repository';
import { AvailabilityHints } from './availability-hints';
import { LedgerEntryType } from './ledger-entry.entity';
import { reservationRepository, ReservationRow } from './reservation.repository';
import { authorizationsOf, planBatches } from './unit-batch-plan';
import { writeBatch } from './unit-batch-write';
import { CommandResult, UnitCommand } from './unit-command';
import { UnitWriteFaults } from './unit-write-faults';
import { BucketRow, bucketKey, periodOf } from './unit-limits';
import { todayIn } from '../shared/http/calendar';

const MOVEMENT: Record<Exclude<LedgerEntryType, 'ADJUST'>, UnitMovement> = { RESERVE: 'reserve', RELEASE: 'release', CONSUME: 'consume', EXPIRE: 'expire' };

/**
 * Runs the commands a lane queued together as one SERIALIZABLE unit of work: read the
 * authorizations (in the callers' organizations), the reservations and the stored idempotent
 * answers; decide every command in memory (planBatch); write everything in one statement
 * (unit-batch-write.ts); commit. One attempt: a 40001/40P01 rejects the whole batch, and each
 * member is retried on its own by its caller (the RetryInterceptor, or the sweeper's
 * TransactionRetrier).
 */
@Injectable()
export class UnitBatchExecutor {
  private readonly hints = new AvailabilityHints();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly reads: SerializableReads,
    private readonly metrics: MetricsService,
    private readonly faults: UnitWriteFaults,
  ) {}

  /** One transaction for every command queued in a lane, whatever authorizations they concern. */
  async execute(commands: UnitCommand[]): Promise<Settled<CommandResult>[]> {
    if (this.hints.expectRefusal(commands)) {
      const refused = await this.decideReadOnly(commands);
      if (refused) return refused;
    }
    // Locked and read: every authorization a command may change (a scheduling by patient: all its candidates).
    const authorizationIds = [...new Set(commands.flatMap(authorizationsOf))];
    const { value } = await this.uow.run(async (tx) => {
      const authorizations = await this.loadAuthorizations(tx, authorizationIds, commands);
      const reservationIds = commands.filter((c) => c.kind !== 'reserve' && c.kind !== 'reserveForPatient').map((c) => c.reservationId);
      const reservations = reservationIds.length ? await reservationRepository.findByIds(tx, reservationIds) : [];
      const keyed = commands.flatMap((c) => (c.kind !== 'expire' && c.idempotency ? [c.idempotency] : []));
      const stored = await idempotencyRepository.findAnswers(tx, keyed);
      const now = new Date();
      const buckets = await this.loadBuckets(tx, commands, authorizations, reservations, now);
      const decided = this.plan(commands, authorizations, reservations, stored, now, buckets);
      await this.faults.beforeWrite(tx, commands);
      await writeBatch(tx, decided.plans, now.toISOString(), true);
      return decided;
    }, undefined, authorizationIds);
    // Counted once committed: a batch that failed moved nothing.
    const ledger = value.plans.flatMap((p) => p.ledger);
    for (const line of ledger) if (line.type !== 'ADJUST') this.metrics.recordUnits(MOVEMENT[line.type], line.units);
    return value.outcomes;
  }

  /**
   * Reservations that are expected to be refused (AvailabilityHints), decided on what one
   * SERIALIZABLE READ ONLY statement reads: one round trip. Undefined when the read says
   * otherwise — some would succeed — and the batch then runs as usual.
   */
  private async decideReadOnly(commands: UnitCommand[]): Promise<Settled<CommandResult>[] | undefined> {
    const authorizationIds = [...new Set(commands.flatMap(authorizationsOf))];
    const authorizations = await this.loadAuthorizations(this.reads, authorizationIds, commands);
    const now = new Date();
    const buckets = await this.loadBuckets(this.reads, commands, authorizations, [], now);
    const decided = this.plan(commands, authorizations, [], new Map(), now, buckets);
    return decided.plans.every((p) => p.ledger.length === 0 && p.answers.length === 0) ? decided.outcomes : undefined;
  }

  /** Decides every command (planBatches, in arrival order) and remembers the units each authorization has left. */
  private plan(
    commands: UnitCommand[],
    authorizations: Map<string, AuthorizationRow>,
    reservations: ReservationRow[],
    stored: Map<string, StoredAnswer>,
    now: Date,
    buckets: BucketRow[],
  ) {
    const reservationsById = new Map(reservations.map((r) => [r.id, r]));
    const bucketsByKey = new Map(buckets.map((b) => [bucketKey(b.capId, b.periodStart), b]));
    const decided = planBatches(authorizations, reservationsById, stored, commands, now, bucketsByKey);
    for (const plan of decided.plans) {
      const authorization = authorizations.get(plan.authorizationId);
      if (authorization) this.hints.remember(plan.authorizationId, availableUnits(authorization) - plan.delta.used - plan.delta.scheduled);
    }
    return decided;
  }

  /**
   * The cap buckets the commands may touch: for each capped authorization, each cap's bucket of
   * each date involved (a new reservation's, or that of the reservation released, consumed or
   * expired). None, and no round trip, when no authorization of the batch has caps.
   */
  private async loadBuckets(sql: Sql, commands: UnitCommand[], authorizations: Map<string, AuthorizationRow>, reservations: ReservationRow[], now: Date): Promise<BucketRow[]> {
    const keys = new Map<string, { capId: string; periodStart: string }>();
    const byId = new Map(reservations.map((r) => [r.id, r]));
    for (const command of commands) {
      for (const id of authorizationsOf(command)) {
        const a = authorizations.get(id);
        if (!a || a.caps.length === 0) continue;
        const dates =
          command.kind === 'reserve' ? [command.serviceDate ?? todayIn(a.timeZone, now)]
          : command.kind === 'reserveForPatient' ? [command.serviceDate]
          : [byId.get(command.reservationId)?.serviceDate, command.kind === 'move' ? command.serviceDate : undefined];
        for (const date of dates) {
          if (!date) continue;
          for (const cap of a.caps) {
            const periodStart = periodOf(cap.period, date, a.weekStartsOn).start;
            keys.set(bucketKey(cap.id, periodStart), { capId: cap.id, periodStart });
          }
        }
      }
    }
    return keys.size ? authorizationRepository.findBuckets(sql, [...keys.values()]) : [];
  }

  /** The authorizations, within the organizations of the batch's callers (the sweeper's expirations: all). */
  private loadAuthorizations(sql: Sql, ids: string[], commands: UnitCommand[]): Promise<Map<string, AuthorizationRow>> {
    return authorizationRepository.findForBatch(sql, ids, commands.map((c) => (c.kind === 'expire' ? undefined : c.caller)));
  }
}
