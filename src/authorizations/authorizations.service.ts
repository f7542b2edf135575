import { Injectable } from '@nestjs/common';
import { AuthUser } from '../shared/auth/auth-user';
import { Role, superAdminFilter } from '../shared/auth/role';
import { IdempotencyContext, Outcome } from '../shared/idempotency/idempotency-context';
import { ForbiddenError, NotFoundError, ValidationFailedError } from '../shared/errors/api-error';
import { AuthNumberTakenError, HasUnitActivityError } from '../shared/errors/business-errors';
import { Database } from '../database/database.service';
import { organizationRepository } from '../organizations/organization.repository';
import { constraintName, sqlState, UNIQUE_VIOLATION } from '../database/pg-errors';
import { todayUtc } from '../shared/http/calendar';
import { decodeCursor, Page, toPage } from '../shared/http/cursor';
import { isUuid, newId } from '../shared/ids';
import { AuthorizationLanes } from '../shared/transactions/authorization-lanes';
import { UnitOfWork } from '../shared/transactions/unit-of-work.service';
import { planUpdate } from './authorization-update';
import { AuthorizationResponse, CreateAuthorizationDto, ListAuthorizationsQuery, UpdateAuthorizationDto } from './authorization.dto';
import { authorizationRepository } from './authorization.repository';
import { ledgerRepository } from './ledger.repository';
import { presentAuthorization } from './presenters';
import { reservationRepository } from './reservation.repository';

/** The organization a new authorization belongs to: the ADMIN's own; a SUPER_ADMIN must name one. */
function owningOrganization(caller: AuthUser, requested?: string): string {
  if (caller.role === Role.SUPER_ADMIN) {
    if (!requested) throw new ValidationFailedError([{ field: 'organizationId', message: 'organizationId is required for a SUPER_ADMIN' }]);
    return requested;
  }
  if (requested !== undefined && requested !== caller.organizationId) {
    throw new ForbiddenError('An ADMIN may only create authorizations in their own organization');
  }
  return caller.organizationId!;
}

@Injectable()
export class AuthorizationsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly lanes: AuthorizationLanes,
    private readonly database: Database,
  ) {}

  async create(caller: AuthUser, dto: CreateAuthorizationDto, idempotency?: IdempotencyContext): Promise<Outcome<AuthorizationResponse>> {
    const organizationId = owningOrganization(caller, dto.organizationId);
    if (dto.startDate > dto.endDate) {
      throw new ValidationFailedError([{ field: 'endDate', message: 'endDate must not be before startDate' }]);
    }
    try {
      return await this.uow.run(async (tx) => {
        if (!(await organizationRepository.exists(tx, organizationId))) throw new NotFoundError('Organization');
        const row = await authorizationRepository.insert(tx, {
          id: newId(), organizationId, patientId: dto.patientId, payer: dto.payer ?? null, authNumber: dto.authNumber, serviceCode: dto.serviceCode,
          totalUnits: dto.totalUnits, startDate: dto.startDate, endDate: dto.endDate, status: dto.status ?? 'ACTIVE', notes: dto.notes ?? null,
        });
        return presentAuthorization(row);
      }, idempotency);
    } catch (error) {
      if (sqlState(error) === UNIQUE_VIOLATION && constraintName(error) === 'authorizations_auth_number_key') throw new AuthNumberTakenError();
      throw error;
    }
  }

  async get(caller: AuthUser, id: string): Promise<AuthorizationResponse> {
    const row = await authorizationRepository.findVisible(this.database, caller, id);
    if (!row) throw new NotFoundError('Authorization');
    return presentAuthorization(row);
  }

  async list(caller: AuthUser, query: ListAuthorizationsQuery): Promise<Page<AuthorizationResponse>> {
    const today = todayUtc();
    const after = decodeCursor(query.cursor, isUuid);
    const rows = await authorizationRepository.list(this.database, caller, {
      organizationId: superAdminFilter(caller.role, 'organizationId', query.organizationId),
      patientId: query.patientId,
      serviceCode: query.serviceCode,
      status: query.status,
      today,
      after,
      limit: query.limit,
    });
    return toPage(rows.map((row) => presentAuthorization(row, today)), query.limit, (a) => a.id);
  }

  /** PATCH: field changes and, for totalUnits, an ADJUST — in the authorization's lane, one transaction. */
  async update(caller: AuthUser, id: string, dto: UpdateAuthorizationDto): Promise<AuthorizationResponse> {
    const { value } = await this.lanes.run(id, () =>
      this.uow.run(async (tx) => {
        const current = await authorizationRepository.findVisible(tx, caller, id);
        if (!current) throw new NotFoundError('Authorization');
        const { columns, adjustBy } = planUpdate(current, dto);
        if (Object.keys(columns).length === 0) return presentAuthorization(current);
        const updated = await authorizationRepository.update(tx, id, columns);
        if (adjustBy !== 0) {
          await ledgerRepository.append(tx, [{
            authorizationId: id, reservationId: null, type: 'ADJUST', units: adjustBy, actorId: caller.id,
            totalAfter: updated.totalUnits, usedAfter: updated.usedUnits, scheduledAfter: updated.scheduledUnits,
          }]);
        }
        return presentAuthorization(updated);
      }, undefined, [id]),
    );
    return value;
  }

  /** Only an authorization on which no unit was ever reserved may disappear; others are cancelled. */
  async remove(caller: AuthUser, id: string): Promise<void> {
    await this.lanes.run(id, () =>
      this.uow.run(async (tx) => {
        if (!(await authorizationRepository.isVisible(tx, caller, id))) throw new NotFoundError('Authorization');
        if (await reservationRepository.anyFor(tx, id)) throw new HasUnitActivityError();
        await authorizationRepository.delete(tx, id);
      }, undefined, [id]),
    );
  }
}
