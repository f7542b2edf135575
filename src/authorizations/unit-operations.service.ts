import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AuthUser } from '../auth/auth-user';
import { Role } from '../auth/role';
import { IdempotencyContext, Outcome } from '../idempotency/idempotency-context';
import { idempotencyStore } from '../idempotency/idempotency.store';
import { NotFoundError } from '../shared/errors/api-error';
import { todayUtc } from '../shared/http/calendar';
import { newId } from '../shared/ids';
import { AuthorizationLanes, BatchRunner, Settled } from '../shared/transactions/authorization-lanes';
import { UnitOfWork } from '../shared/transactions/unit-of-work.service';
import { AUTHORIZATION_COLUMNS, AuthorizationRow, RESERVATION_COLUMNS, ReservationRow, tenantScope } from './authorization-sql';
import { appendLedger } from './ledger-writer';
import { CreateReservationDto, UnitOperationResponse } from './reservation.dto';
import { BatchPlan, CommandResult, planBatch, UnitCommand } from './unit-batch-plan';

/**
 * Reserve, release, consume and expire (SPEC §4). Each request becomes a command in its
 * authorization's lane; the commands queued there run together in one SERIALIZABLE unit of
 * work: read the authorization (in the callers' organizations), the reservations and stored
 * idempotent answers; decide every command in memory with the plain rules (unit-batch-plan.ts);
 * write counters, reservations, ledger and answers; commit. A conflict fails the whole batch
 * and every request in it is retried by its RetryInterceptor. The CHECK constraints stand
 * behind every decision.
 */
@Injectable()
export class UnitOperationsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly lanes: AuthorizationLanes,
    private readonly em: EntityManager,
  ) {}

  private readonly runBatch: BatchRunner<UnitCommand, CommandResult> = (authorizationId, commands) => this.execute(authorizationId, commands);

  reserve(caller: AuthUser, authorizationId: string, dto: CreateReservationDto, idempotency?: IdempotencyContext): Promise<Outcome<UnitOperationResponse>> {
    return this.submit(authorizationId, {
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
    return this.submit(authorizationId, { kind: 'release', caller, idempotency, reservationId }) as Promise<Outcome<UnitOperationResponse>>;
  }

  async consume(caller: AuthUser, reservationId: string, units: number | undefined, idempotency?: IdempotencyContext): Promise<Outcome<UnitOperationResponse>> {
    const authorizationId = await this.authorizationOf(caller, reservationId);
    return this.submit(authorizationId, { kind: 'consume', caller, idempotency, reservationId, units }) as Promise<Outcome<UnitOperationResponse>>;
  }

  /** Releases one reservation whose expiresAt has passed; false when it was no longer due (someone got there first). */
  expire(reservationId: string, authorizationId: string): Promise<boolean> {
    return this.submit(authorizationId, { kind: 'expire', reservationId }) as Promise<boolean>;
  }

  private submit(authorizationId: string, command: UnitCommand): Promise<CommandResult> {
    return this.lanes.submit(authorizationId, command, this.runBatch);
  }

  /** Which lane a reservation's operations run in (a reservation never changes authorization). */
  private async authorizationOf(caller: AuthUser, reservationId: string): Promise<string> {
    const scope = tenantScope(caller, 'organization_id');
    const [row] = await this.em
      .getConnection()
      .execute<{ authorizationId: string }[]>(`select authorization_id as "authorizationId" from reservations where id = ?${scope.sql}`, [reservationId, ...scope.params]);
    if (!row) throw new NotFoundError('Reservation');
    return row.authorizationId;
  }

  private async execute(authorizationId: string, commands: UnitCommand[]): Promise<Settled<CommandResult>[]> {
    const { value } = await this.uow.run(async (tx) => {
      const authorization = await this.loadAuthorization(tx, authorizationId, commands);
      const reservationIds = commands.filter((c) => c.kind !== 'reserve').map((c) => c.reservationId);
      const reservations = reservationIds.length
        ? await tx.execute<ReservationRow[]>(`select ${RESERVATION_COLUMNS} from reservations r where r.authorization_id = ? and r.id in (?)`, [authorizationId, reservationIds])
        : [];
      const keyed = commands.flatMap((c) => (c.kind !== 'expire' && c.idempotency ? [c.idempotency] : []));
      const stored = await idempotencyStore.findAnswers(tx, keyed);
      const now = new Date();
      const plan = planBatch(authorization, new Map(reservations.map((r) => [r.id, r])), stored, commands, now);
      await this.write(tx, authorizationId, plan, now.toISOString());
      return plan.outcomes;
    });
    return value;
  }

  /** Tenant scope in the query: only organizations of the callers in this batch (all, for SUPER_ADMIN and the sweeper). */
  private async loadAuthorization(tx: EntityManager, id: string, commands: UnitCommand[]): Promise<AuthorizationRow | undefined> {
    const unscoped = commands.some((c) => c.kind === 'expire' || c.caller.role === Role.SUPER_ADMIN);
    const organizations = [...new Set(commands.flatMap((c) => (c.kind !== 'expire' && c.caller.organizationId ? [c.caller.organizationId] : [])))];
    const [row] = await tx.execute<AuthorizationRow[]>(
      `select ${AUTHORIZATION_COLUMNS} from authorizations a where a.id = ?${unscoped ? '' : ' and a.organization_id in (?)'}`,
      unscoped ? [id] : [id, organizations],
    );
    return row;
  }

  private async write(tx: EntityManager, authorizationId: string, plan: BatchPlan, now: string): Promise<void> {
    if (plan.delta.used !== 0 || plan.delta.scheduled !== 0) {
      await tx.execute('update authorizations set used_units = used_units + ?, scheduled_units = scheduled_units + ?, updated_at = ? where id = ?', [
        plan.delta.used,
        plan.delta.scheduled,
        now,
        authorizationId,
      ]);
    }
    if (plan.newReservations.length) {
      await tx.execute(
        `insert into reservations (id, authorization_id, organization_id, units, service_date, reference, expires_at, status, consumed_units, created_by, created_at, updated_at)
         values ${plan.newReservations.map(() => "(?, ?, ?, ?, ?, ?, ?, 'SCHEDULED', 0, ?, ?, ?)").join(', ')}`,
        plan.newReservations.flatMap((r) => [r.id, r.authorizationId, r.organizationId, r.units, r.serviceDate, r.reference, r.expiresAt, r.createdBy, now, now]),
      );
    }
    if (plan.finishedReservations.length) {
      const updated = await tx.execute<{ id: string }[]>(
        `update reservations as r set status = v.status, consumed_units = v.consumed, updated_at = ?
         from (values ${plan.finishedReservations.map(() => '(?::uuid, ?, ?::int)').join(', ')}) as v (id, status, consumed)
         where r.id = v.id and r.status = 'SCHEDULED' returning r.id`,
        [now, ...plan.finishedReservations.flatMap((f) => [f.id, f.status, f.consumedUnits])],
      );
      // Cannot differ under SERIALIZABLE; if it ever did, nothing of this batch may commit.
      if (updated.length !== plan.finishedReservations.length) throw new Error('reservation state changed under the batch');
    }
    await appendLedger(tx, plan.ledger);
    await idempotencyStore.saveAnswers(tx, plan.answers);
  }
}
