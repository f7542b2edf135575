import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AuthUser } from '../auth/auth-user';
import { IdempotencyContext, Outcome } from '../idempotency/idempotency-context';
import { NotFoundError } from '../shared/errors/api-error';
import { todayUtc } from '../shared/http/calendar';
import { newId } from '../shared/ids';
import { AuthorizationLanes } from '../shared/transactions/authorization-lanes';
import { UnitOfWork } from '../shared/transactions/unit-of-work.service';
import { checkConsume, checkReserve, checkStillScheduled } from './authorization-rules';
import {
  AUTHORIZATION_COLUMNS,
  AuthorizationRow,
  presentAuthorization,
  presentReservation,
  RESERVATION_COLUMNS,
  ReservationRow,
  tenantScope,
} from './authorization-sql';
import { appendLedger } from './ledger-writer';
import { CreateReservationDto, UnitOperationResponse } from './reservation.dto';

const respond = (reservation: ReservationRow, authorization: AuthorizationRow): UnitOperationResponse => ({
  reservation: presentReservation(reservation),
  authorization: presentAuthorization(authorization),
});

/**
 * Reserve, release, consume and expire (SPEC §4). Each runs in its authorization's lane, as one
 * SERIALIZABLE unit of work: read, decide with the plain rules of authorization-rules.ts, write
 * counters + reservation + ledger (+ idempotent answer) together. The database's CHECK
 * constraints stand behind every decision.
 */
@Injectable()
export class UnitOperationsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly lanes: AuthorizationLanes,
    private readonly em: EntityManager,
  ) {}

  reserve(caller: AuthUser, authorizationId: string, dto: CreateReservationDto, idempotency?: IdempotencyContext): Promise<Outcome<UnitOperationResponse>> {
    return this.lanes.run(authorizationId, () =>
      this.uow.run(async (tx) => {
        const authorization = await this.loadAuthorization(tx, caller, authorizationId);
        const serviceDate = dto.serviceDate ?? todayUtc();
        checkReserve(authorization, dto.units, serviceDate);
        const updated = await this.moveUnits(tx, authorizationId, { scheduled: dto.units });
        const [reservation] = await tx.execute<ReservationRow[]>(
          `insert into reservations as r (id, authorization_id, organization_id, units, service_date, reference, expires_at, status, created_by)
           values (?, ?, ?, ?, ?, ?, ?, 'SCHEDULED', ?) returning ${RESERVATION_COLUMNS}`,
          [newId(), authorizationId, authorization.organizationId, dto.units, serviceDate, dto.reference ?? null, dto.expiresAt ?? null, caller.id],
        );
        await appendLedger(tx, [{ ...after(updated), authorizationId, reservationId: reservation.id, type: 'RESERVE', units: dto.units, actorId: caller.id }]);
        return respond(reservation, updated);
      }, idempotency),
    );
  }

  async release(caller: AuthUser, reservationId: string, idempotency?: IdempotencyContext): Promise<Outcome<UnitOperationResponse>> {
    const authorizationId = await this.authorizationOf(caller, reservationId);
    return this.lanes.run(authorizationId, () =>
      this.uow.run(async (tx) => {
        const current = await this.loadReservation(tx, caller, reservationId);
        checkStillScheduled(current, new Date());
        const reservation = await this.finish(tx, reservationId, 'RELEASED', 0);
        const updated = await this.moveUnits(tx, authorizationId, { scheduled: -current.units });
        await appendLedger(tx, [{ ...after(updated), authorizationId, reservationId, type: 'RELEASE', units: current.units, actorId: caller.id }]);
        return respond(reservation, updated);
      }, idempotency),
    );
  }

  async consume(caller: AuthUser, reservationId: string, requestedUnits: number | undefined, idempotency?: IdempotencyContext): Promise<Outcome<UnitOperationResponse>> {
    const authorizationId = await this.authorizationOf(caller, reservationId);
    return this.lanes.run(authorizationId, () =>
      this.uow.run(async (tx) => {
        const current = await this.loadReservation(tx, caller, reservationId);
        const authorization = await this.loadAuthorization(tx, caller, authorizationId);
        const consumed = checkConsume(current, authorization.status, requestedUnits, new Date());
        const remainder = current.units - consumed;
        const reservation = await this.finish(tx, reservationId, 'CONSUMED', consumed);
        const updated = await this.moveUnits(tx, authorizationId, { used: consumed, scheduled: -current.units });
        const base = { authorizationId, reservationId, actorId: caller.id };
        await appendLedger(tx, [
          ...(consumed > 0
            ? [{ ...base, ...after(updated), scheduledAfter: updated.scheduledUnits + remainder, type: 'CONSUME' as const, units: consumed }]
            : []),
          ...(remainder > 0 ? [{ ...base, ...after(updated), type: 'RELEASE' as const, units: remainder }] : []),
        ]);
        return respond(reservation, updated);
      }, idempotency),
    );
  }

  /** Releases one reservation whose expiresAt has passed; a no-op when someone else got there first. */
  expire(reservationId: string, authorizationId: string): Promise<boolean> {
    return this.lanes.run(authorizationId, async () => {
      const { value } = await this.uow.run(async (tx) => {
        const [current] = await tx.execute<ReservationRow[]>(`select ${RESERVATION_COLUMNS} from reservations r where r.id = ?`, [reservationId]);
        if (!current || current.status !== 'SCHEDULED' || !current.expiresAt || Date.parse(current.expiresAt) > Date.now()) return false;
        await this.finish(tx, reservationId, 'EXPIRED', 0);
        const updated = await this.moveUnits(tx, authorizationId, { scheduled: -current.units });
        await appendLedger(tx, [{ ...after(updated), authorizationId, reservationId, type: 'EXPIRE', units: current.units, actorId: null }]);
        return true;
      });
      return value;
    });
  }

  private async loadAuthorization(tx: EntityManager, caller: AuthUser, id: string): Promise<AuthorizationRow> {
    const scope = tenantScope(caller, 'a.organization_id');
    const [row] = await tx.execute<AuthorizationRow[]>(`select ${AUTHORIZATION_COLUMNS} from authorizations a where a.id = ?${scope.sql}`, [id, ...scope.params]);
    if (!row) throw new NotFoundError('Authorization');
    return row;
  }

  private async loadReservation(tx: EntityManager, caller: AuthUser, id: string): Promise<ReservationRow> {
    const scope = tenantScope(caller, 'r.organization_id');
    const [row] = await tx.execute<ReservationRow[]>(`select ${RESERVATION_COLUMNS} from reservations r where r.id = ?${scope.sql}`, [id, ...scope.params]);
    if (!row) throw new NotFoundError('Reservation');
    return row;
  }

  /** Which lane a reservation's operations run in. A reservation never changes authorization. */
  private async authorizationOf(caller: AuthUser, reservationId: string): Promise<string> {
    const scope = tenantScope(caller, 'organization_id');
    const [row] = await this.em
      .getConnection()
      .execute<{ authorizationId: string }[]>(`select authorization_id as "authorizationId" from reservations where id = ?${scope.sql}`, [reservationId, ...scope.params]);
    if (!row) throw new NotFoundError('Reservation');
    return row.authorizationId;
  }

  private async moveUnits(tx: EntityManager, id: string, delta: { used?: number; scheduled?: number }): Promise<AuthorizationRow> {
    const [row] = await tx.execute<AuthorizationRow[]>(
      `update authorizations as a set used_units = used_units + ?, scheduled_units = scheduled_units + ?, updated_at = now()
       where a.id = ? returning ${AUTHORIZATION_COLUMNS}`,
      [delta.used ?? 0, delta.scheduled ?? 0, id],
    );
    return row;
  }

  private async finish(tx: EntityManager, id: string, status: 'RELEASED' | 'CONSUMED' | 'EXPIRED', consumedUnits: number): Promise<ReservationRow> {
    const [row] = await tx.execute<ReservationRow[]>(
      `update reservations as r set status = ?, consumed_units = ?, updated_at = now() where r.id = ? and r.status = 'SCHEDULED' returning ${RESERVATION_COLUMNS}`,
      [status, consumedUnits, id],
    );
    return row;
  }
}

const after = (a: AuthorizationRow) => ({ totalAfter: a.totalUnits, usedAfter: a.usedUnits, scheduledAfter: a.scheduledUnits });
