import { Injectable } from '@nestjs/common';
import { AuthUser } from '../shared/auth/auth-user';
import { Role, superAdminFilter } from '../shared/auth/role';
import { IdempotencyContext, Outcome } from '../shared/idempotency/idempotency-context';
import { ForbiddenError, NotFoundError, ValidationFailedError } from '../shared/errors/api-error';
import { AuthNumberTakenError, HasUnitActivityError } from '../shared/errors/business-errors';
import { Database } from '../database/database.service';
import { constraintName, sqlState, UNIQUE_VIOLATION } from '../database/pg-errors';
import { todayUtc } from '../shared/http/calendar';
import { decodeCursor, Page, toPage } from '../shared/http/cursor';
import { isUuid, newId } from '../shared/ids';
import { AuthorizationLanes } from '../shared/transactions/authorization-lanes';
import { UnitOfWork } from '../shared/transactions/unit-of-work.service';
import { planUpdate } from './authorization-update';
import { AUTHORIZATION_COLUMNS, AuthorizationRow, EFFECTIVE_STATUS_SQL, presentAuthorization, tenantScope } from './authorization-sql';
import { AuthorizationResponse, CreateAuthorizationDto, ListAuthorizationsQuery, UpdateAuthorizationDto } from './authorization.dto';
import { appendLedger } from './ledger-writer';

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
        const [org] = await tx.query('select 1 from organizations where id = ?', [organizationId]);
        if (!org) throw new NotFoundError('Organization');
        const [row] = await tx.query<AuthorizationRow>(
          `insert into authorizations as a (id, organization_id, patient_id, payer, auth_number, service_code, total_units, start_date, end_date, status, notes)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) returning ${AUTHORIZATION_COLUMNS}`,
          [newId(), organizationId, dto.patientId, dto.payer ?? null, dto.authNumber, dto.serviceCode, dto.totalUnits, dto.startDate, dto.endDate, dto.status ?? 'ACTIVE', dto.notes ?? null],
        );
        return presentAuthorization(row);
      }, idempotency);
    } catch (error) {
      if (sqlState(error) === UNIQUE_VIOLATION && constraintName(error) === 'authorizations_auth_number_key') throw new AuthNumberTakenError();
      throw error;
    }
  }

  async get(caller: AuthUser, id: string): Promise<AuthorizationResponse> {
    const scope = tenantScope(caller, 'a.organization_id');
    const [row] = await this.database.query<AuthorizationRow>(`select ${AUTHORIZATION_COLUMNS} from authorizations a where a.id = ?${scope.sql}`, [id, ...scope.params]);
    if (!row) throw new NotFoundError('Authorization');
    return presentAuthorization(row);
  }

  async list(caller: AuthUser, query: ListAuthorizationsQuery): Promise<Page<AuthorizationResponse>> {
    const today = todayUtc();
    const after = decodeCursor(query.cursor, isUuid);
    const scope = tenantScope(caller, 'a.organization_id');
    const where: string[] = [`true${scope.sql}`];
    const params: unknown[] = [...scope.params];
    const organizationId = superAdminFilter(caller.role, 'organizationId', query.organizationId);
    if (organizationId !== undefined) (where.push('a.organization_id = ?'), params.push(organizationId));
    if (query.patientId !== undefined) (where.push('a.patient_id = ?'), params.push(query.patientId));
    if (query.serviceCode !== undefined) (where.push('a.service_code = ?'), params.push(query.serviceCode));
    if (query.status !== undefined) (where.push(`${EFFECTIVE_STATUS_SQL} = ?`), params.push(today, query.status));
    if (after !== undefined) (where.push('a.id > ?'), params.push(after));
    const rows = await this.database.query<AuthorizationRow>(
      `select ${AUTHORIZATION_COLUMNS} from authorizations a where ${where.join(' and ')} order by a.id limit ?`,
      [...params, query.limit + 1],
    );
    return toPage(rows.map((row) => presentAuthorization(row, today)), query.limit, (a) => a.id);
  }

  /** PATCH: field changes and, for totalUnits, an ADJUST — in the authorization's lane, one transaction. */
  async update(caller: AuthUser, id: string, dto: UpdateAuthorizationDto): Promise<AuthorizationResponse> {
    const { value } = await this.lanes.run(id, () =>
      this.uow.run(async (tx) => {
        const scope = tenantScope(caller, 'a.organization_id');
        const [current] = await tx.query<AuthorizationRow>(`select ${AUTHORIZATION_COLUMNS} from authorizations a where a.id = ?${scope.sql}`, [id, ...scope.params]);
        if (!current) throw new NotFoundError('Authorization');
        const { columns, adjustBy } = planUpdate(current, dto);
        const names = Object.keys(columns);
        if (names.length === 0) return presentAuthorization(current);
        const [updated] = await tx.query<AuthorizationRow>(
          `update authorizations as a set ${names.map((n) => `${n} = ?`).join(', ')}, updated_at = now() where a.id = ? returning ${AUTHORIZATION_COLUMNS}`,
          [...Object.values(columns), id],
        );
        if (adjustBy !== 0) {
          await appendLedger(tx, [{
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
        const scope = tenantScope(caller, 'organization_id');
        const [found] = await tx.query(`select 1 from authorizations where id = ?${scope.sql}`, [id, ...scope.params]);
        if (!found) throw new NotFoundError('Authorization');
        const [activity] = await tx.query('select 1 from reservations where authorization_id = ? limit 1', [id]);
        if (activity) throw new HasUnitActivityError();
        await tx.query('delete from authorizations where id = ?', [id]);
      }, undefined, [id]),
    );
  }
}
