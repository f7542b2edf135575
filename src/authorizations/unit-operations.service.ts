import { Injectable } from '@nestjs/common';
import { AuthUser } from '../auth/auth-user';
import { Role } from '../auth/role';
import { IdempotencyContext, Outcome } from '../idempotency/idempotency-context';
import { answerColumns, idempotencyStore, StoredAnswer } from '../idempotency/idempotency.store';
import { Database, Sql } from '../database/database.service';
import { SerializableReads } from '../database/serializable-reads';
import { NotFoundError } from '../shared/errors/api-error';
import { todayUtc } from '../shared/http/calendar';
import { newId } from '../shared/ids';
import { MetricsService, UnitMovement } from '../metrics/metrics.service';
import { AuthorizationLanes, BatchRunner, Settled } from '../shared/transactions/authorization-lanes';
import { UnitOfWork } from '../shared/transactions/unit-of-work.service';
import { availableUnits } from './authorization-rules';
import { AvailabilityHints } from './availability-hints';
import { AUTHORIZATION_COLUMNS, AuthorizationRow, RESERVATION_COLUMNS, ReservationRow, tenantScope } from './authorization-sql';
import { LedgerEntryType } from './ledger-entry.entity';
import { LEDGER_UNNEST, ledgerColumns } from './ledger-writer';
import { CreateReservationDto, UnitOperationResponse } from './reservation.dto';
import { BatchPlan, CommandResult, planBatch, UnitCommand } from './unit-batch-plan';
import { UnitWriteFaults } from './unit-write-faults';

const MOVEMENT: Record<Exclude<LedgerEntryType, 'ADJUST'>, UnitMovement> = { RESERVE: 'reserve', RELEASE: 'release', CONSUME: 'consume', EXPIRE: 'expire' };

/**
 * Reserve, release, consume and expire (SPEC §4). Each request becomes a command in its
 * authorization's lane; the commands queued there run together in one SERIALIZABLE unit of
 * work: read the authorization (in the callers' organizations), the reservations and stored
 * idempotent answers; decide every command in memory with the plain rules (unit-batch-plan.ts);
 * write counters, reservations, ledger and answers; commit. A conflict (40001/40P01) fails the
 * whole batch: each member's promise is rejected with it, and each request is retried on its own by
 * the RetryInterceptor, which runs the handler again — a new command, queued again in the lane, in a
 * fresh unit of work (the sweeper's expirations by TransactionRetrier directly). Nothing here
 * retries. Any other failure of the batch is traced to the command(s) that fail alone (runIsolated
 * in authorization-lanes.ts): the others get their own outcomes. The CHECK constraints stand behind
 * every decision.
 */
@Injectable()
export class UnitOperationsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly lanes: AuthorizationLanes,
    private readonly database: Database,
    private readonly metrics: MetricsService,
    private readonly reads: SerializableReads,
    private readonly faults: UnitWriteFaults,
  ) {}

  private readonly hints = new AvailabilityHints();

  private readonly runBatch: BatchRunner<UnitCommand, CommandResult> = (commands) => this.execute(commands);

  // One attempt each: a 40001/40P01 rejects the returned promise, and the caller retries the whole
  // call (the RetryInterceptor for requests, TransactionRetrier in the expiry sweeper).

  reserve(caller: AuthUser, authorizationId: string, dto: CreateReservationDto, idempotency?: IdempotencyContext): Promise<Outcome<UnitOperationResponse>> {
    return this.submit({
      authorizationId,
      kind: 'reserve',
      caller,
      idempotency,
      reservationId: newId(),
      units: dto.units,
      serviceDate: dto.serviceDate ?? todayUtc(),
      reference: dto.reference ?? null,
      expiresAt: dto.expiresAt ? new Date(dto.expiresAt).toISOString() : null,
    }) as Promise<Outcome<UnitOperationResponse>>;
  }

  async release(caller: AuthUser, reservationId: string, idempotency?: IdempotencyContext): Promise<Outcome<UnitOperationResponse>> {
    const authorizationId = await this.authorizationOf(caller, reservationId);
    return this.submit({ authorizationId, kind: 'release', caller, idempotency, reservationId }) as Promise<Outcome<UnitOperationResponse>>;
  }

  async consume(caller: AuthUser, reservationId: string, units: number | undefined, idempotency?: IdempotencyContext): Promise<Outcome<UnitOperationResponse>> {
    const authorizationId = await this.authorizationOf(caller, reservationId);
    return this.submit({ authorizationId, kind: 'consume', caller, idempotency, reservationId, units }) as Promise<Outcome<UnitOperationResponse>>;
  }

  /** Releases one reservation whose expiresAt has passed; false when it was no longer due (someone got there first). */
  expire(reservationId: string, authorizationId: string): Promise<boolean> {
    return this.submit({ authorizationId, kind: 'expire', reservationId }) as Promise<boolean>;
  }

  private submit(command: UnitCommand): Promise<CommandResult> {
    return this.lanes.submit(command.authorizationId, command, this.runBatch);
  }

  /** Which lane a reservation's operations run in (a reservation never changes authorization). */
  private async authorizationOf(caller: AuthUser, reservationId: string): Promise<string> {
    const scope = tenantScope(caller, 'organization_id');
    const [row] = await this.database.query<{ authorizationId: string }>(
      `select authorization_id as "authorizationId" from reservations where id = ?${scope.sql}`,
      [reservationId, ...scope.params],
    );
    if (!row) throw new NotFoundError('Reservation');
    return row.authorizationId;
  }

  /** One transaction for every command queued in a lane, whatever authorizations they concern. */
  private async execute(commands: UnitCommand[]): Promise<Settled<CommandResult>[]> {
    if (this.hints.expectRefusal(commands)) {
      const refused = await this.decideReadOnly(commands);
      if (refused) return refused;
    }
    const authorizationIds = [...new Set(commands.map((c) => c.authorizationId))];
    const { value } = await this.uow.run(async (tx) => {
      const authorizations = await this.loadAuthorizations(tx, authorizationIds, commands);
      const reservationIds = commands.filter((c) => c.kind !== 'reserve').map((c) => c.reservationId);
      const reservations = reservationIds.length
        ? await tx.query<ReservationRow>(`select ${RESERVATION_COLUMNS} from reservations r where r.id = any(?::uuid[])`, [reservationIds], { prepare: true })
        : [];
      const keyed = commands.flatMap((c) => (c.kind !== 'expire' && c.idempotency ? [c.idempotency] : []));
      const stored = await idempotencyStore.findAnswers(tx, keyed);
      const now = new Date();
      const decided = this.plan(commands, authorizations, reservations, stored, now);
      await this.faults.beforeWrite(tx, commands);
      await this.write(tx, decided.plans, now.toISOString());
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

  /** Decides every command (unit-batch-plan.ts) and remembers the units each authorization has left. */
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

  /**
   * Tenant scope in the query: only organizations of the callers in this batch (all, for SUPER_ADMIN
   * and the sweeper). Written `(…) is not false` so that it can only filter: without statistics
   * PostgreSQL otherwise looked the rows up through the organization index — reading every
   * authorization of the organization, and locking all of it for SERIALIZABLE's conflict checks.
   */
  private async loadAuthorizations(tx: Sql, ids: string[], commands: UnitCommand[]): Promise<Map<string, AuthorizationRow>> {
    const unscoped = commands.some((c) => c.kind === 'expire' || c.caller.role === Role.SUPER_ADMIN);
    const organizations = [...new Set(commands.flatMap((c) => (c.kind !== 'expire' && c.caller.organizationId ? [c.caller.organizationId] : [])))];
    const rows = await tx.query<AuthorizationRow>(
      `select ${AUTHORIZATION_COLUMNS} from authorizations a where a.id = any(?::uuid[]) and (?::boolean or a.organization_id = any(?::uuid[])) is not false`,
      [ids, unscoped, organizations],
      { prepare: true },
    );
    return new Map(rows.map((row) => [row.id, row]));
  }

  /**
   * Every write of the batch in one statement (one round trip); parts with nothing to write are
   * left out, so no part scans a table it does not touch (under SERIALIZABLE a scan of a whole
   * table would conflict with every concurrent writer). A batch that changed nothing writes nothing.
   */
  private async write(tx: Sql, plans: BatchPlan[], now: string): Promise<void> {
    const moved = plans.filter((p) => p.ledger.length > 0);
    const created = plans.flatMap((p) => p.newReservations);
    const expiring = created.filter((r) => r.expiresAt !== null);
    const finished = plans.flatMap((p) => p.finishedReservations);
    const unexpiring = finished.filter((f) => f.expiring);
    const ledger = plans.flatMap((p) => p.ledger);
    const answers = plans.flatMap((p) => p.answers);
    if (ledger.length === 0 && answers.length === 0) return;
    const parts: string[] = [];
    const params: unknown[] = [];
    const part = (sql: string, ...values: unknown[]) => (parts.push(sql), params.push(...values));
    if (moved.length) {
      part(
        `counters as (update authorizations as a set used_units = used_units + v.used, scheduled_units = scheduled_units + v.scheduled, updated_at = ?
          from unnest(?::uuid[], ?::int[], ?::int[]) as v (id, used, scheduled)
          where a.id = any(?::uuid[]) and a.id = v.id)`,
        now, moved.map((p) => p.authorizationId), moved.map((p) => p.delta.used), moved.map((p) => p.delta.scheduled), moved.map((p) => p.authorizationId),
      );
    }
    if (created.length) {
      part(
        `created as (insert into reservations (id, authorization_id, organization_id, units, service_date, reference, expires_at, status, consumed_units, created_by, created_at, updated_at)
          select v.id, v.authorization_id, v.organization_id, v.units, v.service_date, v.reference, v.expires_at, 'SCHEDULED', 0, v.created_by, ?, ?
          from unnest(?::uuid[], ?::uuid[], ?::uuid[], ?::int[], ?::date[], ?::text[], ?::timestamptz[], ?::uuid[])
            as v (id, authorization_id, organization_id, units, service_date, reference, expires_at, created_by))`,
        now, now,
        created.map((r) => r.id), created.map((r) => r.authorizationId), created.map((r) => r.organizationId), created.map((r) => r.units),
        created.map((r) => r.serviceDate), created.map((r) => r.reference), created.map((r) => r.expiresAt), created.map((r) => r.createdBy),
      );
    }
    if (expiring.length) {
      part(
        `expiring as (insert into reservation_expiries (reservation_id, expires_at) select * from unnest(?::uuid[], ?::timestamptz[]))`,
        expiring.map((r) => r.id), expiring.map((r) => r.expiresAt),
      );
    }
    if (unexpiring.length) {
      part(`unexpiring as (delete from reservation_expiries where reservation_id = any(?::uuid[]))`, unexpiring.map((f) => f.id));
    }
    if (finished.length) {
      part(
        `finished as (update reservations as r set status = v.status, consumed_units = v.consumed, updated_at = ?
          from unnest(?::uuid[], ?::text[], ?::int[]) as v (id, status, consumed)
          where r.id = any(?::uuid[]) and r.id = v.id and r.status = 'SCHEDULED' returning r.id)`,
        now, finished.map((f) => f.id), finished.map((f) => f.status), finished.map((f) => f.consumedUnits), finished.map((f) => f.id),
      );
    }
    if (ledger.length) {
      part(
        `ledger as (insert into ledger_entries (authorization_id, reservation_id, type, units, total_after, used_after, scheduled_after, actor_id)
          select a, r, t, u, ta, ua, sa, ac from ${LEDGER_UNNEST} as l (a, r, t, u, ta, ua, sa, ac, n) order by n)`,
        ...ledgerColumns(ledger),
      );
    }
    if (answers.length) {
      part(
        `answers as (insert into idempotency_keys (user_id, key, request_fingerprint, status_code, response_body)
          select * from unnest(?::uuid[], ?::text[], ?::text[], ?::int[], ?::jsonb[]))`,
        ...answerColumns(answers),
      );
    }
    const count = finished.length ? '(select count(*) from finished)::int' : '0';
    const [result] = await tx.query<{ finished: number }>(`with ${parts.join(',\n')} select ${count} as finished`, params, { prepare: true });
    // Cannot differ under SERIALIZABLE; if it ever did, nothing of this batch may commit.
    if (result.finished !== finished.length) throw new Error('reservation state changed under the batch');
  }
}
