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
import { planBatch } from './unit-batch-plan';
import { writeBatch } from './unit-batch-write';
import { CommandResult, UnitCommand } from './unit-command';
import { UnitWriteFaults } from './unit-write-faults';

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
    const authorizationIds = [...new Set(commands.map((c) => c.authorizationId))];
    const { value } = await this.uow.run(async (tx) => {
      const authorizations = await this.loadAuthorizations(tx, authorizationIds, commands);
      const reservationIds = commands.filter((c) => c.kind !== 'reserve').map((c) => c.reservationId);
      const reservations = reservationIds.length ? await reservationRepository.findByIds(tx, reservationIds) : [];
      const keyed = commands.flatMap((c) => (c.kind !== 'expire' && c.idempotency ? [c.idempotency] : []));
      const stored = await idempotencyRepository.findAnswers(tx, keyed);
      const now = new Date();
      const decided = this.plan(commands, authorizations, reservations, stored, now);
      await this.faults.beforeWrite(tx, commands);
      await writeBatch(tx, decided.plans, now.toISOString());
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
    const authorizationIds = [...new Set(commands.map((c) => c.authorizationId))];
    const authorizations = await this.loadAuthorizations(this.reads, authorizationIds, commands);
    const decided = this.plan(commands, authorizations, [], new Map(), new Date());
    return decided.plans.every((p) => p.ledger.length === 0 && p.answers.length === 0) ? decided.outcomes : undefined;
  }

  /** Decides every command (planBatch, per authorization) and remembers the units each authorization has left. */
  private plan(commands: UnitCommand[], authorizations: Map<string, AuthorizationRow>, reservations: ReservationRow[], stored: Map<string, StoredAnswer>, now: Date) {
    const reservationsById = new Map(reservations.map((r) => [r.id, r]));
    const outcomes: Settled<CommandResult>[] = new Array(commands.length);
    const plans = [...new Set(commands.map((c) => c.authorizationId))].map((id) => {
      const indexes = commands.flatMap((c, i) => (c.authorizationId === id ? [i] : []));
      const ownReservations = new Map([...reservationsById].filter(([, r]) => r.authorizationId === id));
      const authorization = authorizations.get(id);
      const plan = planBatch(id, authorization, ownReservations, stored, indexes.map((i) => commands[i]), now);
      plan.outcomes.forEach((outcome, j) => (outcomes[indexes[j]] = outcome));
      if (authorization) this.hints.remember(id, availableUnits(authorization) - plan.delta.used - plan.delta.scheduled);
      return plan;
    });
    return { outcomes, plans };
  }

  /** The authorizations, within the organizations of the batch's callers (the sweeper's expirations: all). */
  private loadAuthorizations(sql: Sql, ids: string[], commands: UnitCommand[]): Promise<Map<string, AuthorizationRow>> {
    return authorizationRepository.findForBatch(sql, ids, commands.map((c) => (c.kind === 'expire' ? undefined : c.caller)));
  }
}
