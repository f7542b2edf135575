import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import { AuthUser } from '../shared/auth/auth-user';
import { NotFoundError } from '../shared/errors/api-error';
import { IdempotencyContext, Outcome } from '../shared/idempotency/idempotency-context';
import { newId } from '../shared/ids';
import { AuthorizationLanes, BatchRunner } from '../shared/transactions/authorization-lanes';
import { NoAuthorizationAvailableError } from '../shared/errors/business-errors';
import { idempotencyRepository } from '../idempotency/idempotency.repository';
import { authorizationRepository } from './authorization.repository';
import { CreateReservationDto, MoveReservationDto, ReserveForPatientDto, UnitOperationResponse } from './reservation.dto';
import { reservationRepository } from './reservation.repository';
import { UnitBatchExecutor } from './unit-batch-executor';
import { CommandResult, UnitCommand } from './unit-command';

/**
 * Reserve, release, consume and expire (SPEC §4): each request becomes a command in its
 * authorization's lane; the commands queued there run together in one SERIALIZABLE unit of work
 * (UnitBatchExecutor), each decided, answered and failed on its own. A conflict (40001/40P01)
 * fails the whole batch: each member's promise is rejected with it, and each request is retried
 * on its own by the RetryInterceptor, which runs the handler again — a new command, queued again
 * in the lane, in a fresh unit of work (the sweeper's expirations by TransactionRetrier directly).
 * Nothing here retries. Any other failure of the batch is traced to the command(s) that fail alone
 * (runIsolated in authorization-lanes.ts): the others get their own outcomes. The CHECK
 * constraints stand behind every decision.
 */
@Injectable()
export class UnitOperationsService {
  constructor(
    private readonly lanes: AuthorizationLanes,
    private readonly database: Database,
    private readonly executor: UnitBatchExecutor,
  ) {}

  private readonly runBatch: BatchRunner<UnitCommand, CommandResult> = (commands) => this.executor.execute(commands);

  reserve(caller: AuthUser, authorizationId: string, dto: CreateReservationDto, idempotency?: IdempotencyContext): Promise<Outcome<UnitOperationResponse>> {
    return this.submit({
      authorizationId,
      kind: 'reserve',
      caller,
      idempotency,
      reservationId: newId(),
      serviceCode: dto.serviceCode,
      modifiers: dto.modifiers,
      units: dto.units,
      serviceDate: dto.serviceDate,
      reference: dto.reference ?? null,
      expiresAt: dto.expiresAt ? new Date(dto.expiresAt).toISOString() : null,
    }) as Promise<Outcome<UnitOperationResponse>>;
  }

  /** SPEC §10 scheduling by patient: the candidates are read first; the batch picks among them (decideReserveForPatient). */
  async reserveForPatient(caller: AuthUser, dto: ReserveForPatientDto, idempotency?: IdempotencyContext): Promise<Outcome<UnitOperationResponse>> {
    const { serviceDate, candidateIds } = await authorizationRepository.candidatesForPatient(this.database, {
      organizationId: caller.organizationId!, patientId: dto.patientId, serviceCode: dto.serviceCode, serviceDate: dto.serviceDate, now: new Date().toISOString(),
    });
    if (candidateIds.length === 0) {
      // No lane to run in; a request already answered under its Idempotency-Key is still replayed
      // (its day or its authorization may no longer make a candidate).
      const stored = idempotency && (await idempotencyRepository.findAnswer(this.database, idempotency));
      if (stored) return { value: stored as UnitOperationResponse, replayed: true };
      throw new NoAuthorizationAvailableError([]);
    }
    return this.submit({
      authorizationId: candidateIds[0],
      kind: 'reserveForPatient',
      caller,
      idempotency,
      candidateIds,
      patientId: dto.patientId,
      reservationId: newId(),
      serviceCode: dto.serviceCode,
      modifiers: dto.modifiers,
      units: dto.units,
      serviceDate,
      reference: dto.reference ?? null,
      expiresAt: dto.expiresAt ? new Date(dto.expiresAt).toISOString() : null,
    }) as Promise<Outcome<UnitOperationResponse>>;
  }

  /** SPEC §10 moving a session, in the reservation's lane like release and consume. */
  async move(caller: AuthUser, reservationId: string, dto: MoveReservationDto, idempotency?: IdempotencyContext): Promise<Outcome<UnitOperationResponse>> {
    const authorizationId = await this.authorizationOf(caller, reservationId);
    return this.submit({ authorizationId, kind: 'move', caller, idempotency, reservationId, units: dto.units, serviceDate: dto.serviceDate }) as Promise<Outcome<UnitOperationResponse>>;
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
    const authorizationId = await reservationRepository.authorizationOf(this.database, caller, reservationId);
    if (!authorizationId) throw new NotFoundError('Reservation');
    return authorizationId;
  }
}
