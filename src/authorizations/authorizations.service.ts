import { Injectable } from '@nestjs/common';
import { eventsRepository } from '../events/events.repository';
import { AuthUser } from '../shared/auth/auth-user';
import { Role, superAdminFilter } from '../shared/auth/role';
import { IdempotencyContext, Outcome } from '../shared/idempotency/idempotency-context';
import { ForbiddenError, NotFoundError, ValidationFailedError } from '../shared/errors/api-error';
import { AuthNumberTakenError, CapBelowHeldError, HasUnitActivityError, TotalBelowAllocatedError } from '../shared/errors/business-errors';
import { Database, Sql } from '../database/database.service';
import { organizationRepository } from '../organizations/organization.repository';
import { constraintName, sqlState, UNIQUE_VIOLATION } from '../database/pg-errors';
import { decodeCursor, Page, toPage } from '../shared/http/cursor';
import { isUuid, newId } from '../shared/ids';
import { AuthorizationLanes } from '../shared/transactions/authorization-lanes';
import { UnitOfWork } from '../shared/transactions/unit-of-work.service';
import { planUpdate } from './authorization-update';
import { authorizationEvent, crossingEventsBetween, figuresOf } from './authorization-events';
import { capRows, lineIdentity, lineRow, linesTotalColumns, MAX_LINES, shapeOf } from './authorization-shape';
import { AuthorizationResponse, CapDto, CreateAuthorizationDto, CreateLineDto, ListAuthorizationsQuery, UpdateAuthorizationDto, UpdateLineDto } from './authorization.dto';
import { authorizationRepository, AuthorizationRow } from './authorization.repository';
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

/** Whether a change shows in the authorization as the API returns it (updatedAt moves with any statement). */
const changed = (before: AuthorizationResponse, after: AuthorizationResponse): boolean =>
  JSON.stringify({ ...before, updatedAt: undefined }) !== JSON.stringify({ ...after, updatedAt: undefined });

@Injectable()
export class AuthorizationsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly lanes: AuthorizationLanes,
    private readonly database: Database,
  ) {}

  async create(caller: AuthUser, dto: CreateAuthorizationDto, idempotency?: IdempotencyContext): Promise<Outcome<AuthorizationResponse>> {
    const organizationId = owningOrganization(caller, dto.organizationId);
    const shape = shapeOf(dto);
    if (dto.startDate > dto.endDate) {
      throw new ValidationFailedError([{ field: 'endDate', message: 'endDate must not be before startDate' }]);
    }
    try {
      return await this.uow.run(async (tx) => {
        const organization = await organizationRepository.find(tx, organizationId);
        if (!organization) throw new NotFoundError('Organization');
        const { lines, caps, ...totals } = shape;
        const row = await authorizationRepository.insert(tx, {
          id: newId(), organizationId, patientId: dto.patientId, payer: dto.payer ?? null, authNumber: dto.authNumber, ...totals,
          startDate: dto.startDate, endDate: dto.endDate, status: dto.status ?? 'ACTIVE', notes: dto.notes ?? null,
        }, lines, caps, organization);
        const now = new Date();
        await eventsRepository.insert(tx, [authorizationEvent('authorization.created', row, now)]);
        return presentAuthorization(row, now);
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
    const now = new Date();
    const after = decodeCursor(query.cursor, isUuid);
    const rows = await authorizationRepository.list(this.database, caller, {
      organizationId: superAdminFilter(caller.role, 'organizationId', query.organizationId),
      patientId: query.patientId,
      serviceCode: query.serviceCode,
      status: query.status,
      now: now.toISOString(),
      after,
      limit: query.limit,
    });
    return toPage(rows.map((row) => presentAuthorization(row, now)), query.limit, (a) => a.id);
  }

  /** PATCH: field changes, for totalUnits an ADJUST, and the authorization's own caps — in its lane, one transaction. */
  async update(caller: AuthUser, id: string, dto: UpdateAuthorizationDto): Promise<AuthorizationResponse> {
    const { value } = await this.inLane(caller, id, undefined, async (tx, current) => {
      const { columns, adjustBy, lineId } = planUpdate(current, dto);
      if (Object.keys(columns).length > 0) {
        const updated = await authorizationRepository.update(tx, id, columns);
        if (lineId !== null) await authorizationRepository.setLineTotal(tx, lineId, dto.totalUnits!);
        if (adjustBy !== 0) await this.adjusted(tx, caller, updated, lineId, adjustBy);
      }
      if (dto.caps !== undefined) await this.replaceCaps(tx, current, null, dto.caps);
    });
    return value;
  }

  /** POST …/lines: a new line (and its caps); the authorization's totals grow with it (without a pool, its totalUnits). */
  async addLine(caller: AuthUser, id: string, dto: CreateLineDto, idempotency?: IdempotencyContext): Promise<Outcome<AuthorizationResponse>> {
    return this.inLane(caller, id, idempotency, async (tx, current) => {
      const line = lineRow(dto);
      if (current.lines.length >= MAX_LINES) throw new ValidationFailedError([{ field: 'lines', message: `an authorization has at most ${MAX_LINES} lines` }]);
      if (current.lines.some((l) => lineIdentity(l) === lineIdentity(line))) {
        throw new ValidationFailedError([{ field: 'serviceCode', message: 'the authorization has a line with this serviceCode and modifiers' }]);
      }
      const totals = linesTotalColumns(current.poolUnits, current.linesTotalUnits + line.totalUnits, 'totalUnits');
      const caps = capRows(dto.caps, line.id, 'caps');
      if (current.lines[0]?.sole) await authorizationRepository.endSoleLine(tx, id);
      const updated = await authorizationRepository.update(tx, id, { ...totals, service_code: null, sole_line_id: null, sole_line_modifiers: null });
      await authorizationRepository.insertLines(tx, id, current.organizationId, current.poolUnits !== null, [line]);
      await authorizationRepository.insertCaps(tx, id, caps);
      await this.adjusted(tx, caller, updated, line.id, line.totalUnits);
    });
  }

  /** PATCH …/lines/:lineId: the line's total (an ADJUST with its lineId) and/or its caps (replaced). */
  async updateLine(caller: AuthUser, id: string, lineId: string, dto: UpdateLineDto): Promise<AuthorizationResponse> {
    const { value } = await this.inLane(caller, id, undefined, async (tx, current) => {
      const line = current.lines.find((l) => l.id === lineId);
      if (!line) throw new NotFoundError('Line');
      if (dto.totalUnits !== undefined && dto.totalUnits !== line.totalUnits) {
        const allocated = line.usedUnits + line.scheduledUnits;
        if (dto.totalUnits < allocated) throw new TotalBelowAllocatedError(dto.totalUnits, allocated);
        const change = dto.totalUnits - line.totalUnits;
        const totals = linesTotalColumns(current.poolUnits, current.linesTotalUnits + change, 'totalUnits');
        const updated = await authorizationRepository.update(tx, id, totals);
        await authorizationRepository.setLineTotal(tx, line.id, dto.totalUnits);
        await this.adjusted(tx, caller, updated, line.id, change);
      }
      if (dto.caps !== undefined) await this.replaceCaps(tx, current, line.id, dto.caps);
    });
    return value;
  }

  /**
   * Replaces the caps of one scope (a line, or the authorization with lineId null): a kept period
   * takes its new units unless a bucket holds more (409 CAP_BELOW_HELD); a new cap starts with what
   * the reservations already hold in each of its periods (the same refusal when over).
   */
  private async replaceCaps(tx: Sql, current: AuthorizationRow, lineId: string | null, wanted: CapDto[]): Promise<void> {
    const existing = current.caps.filter((c) => c.lineId === lineId);
    const next = capRows(wanted, lineId, 'caps');
    await authorizationRepository.deleteCaps(tx, existing.filter((c) => !next.some((n) => n.period === c.period)).map((c) => c.id));
    for (const cap of next) {
      const kept = existing.find((c) => c.period === cap.period);
      if (!kept) continue;
      const most = await authorizationRepository.mostHeld(tx, kept.id);
      if (most && most.heldUnits > cap.units) throw new CapBelowHeldError(cap.period, cap.units, most.heldUnits, most.periodStart);
      if (kept.units !== cap.units) await authorizationRepository.setCapUnits(tx, kept.id, cap.units);
    }
    const added = next.filter((n) => !existing.some((c) => c.period === n.period));
    await authorizationRepository.insertCaps(tx, current.id, added);
    const held = await authorizationRepository.heldByPeriod(tx, added.map((c) => c.id), current.weekStartsOn);
    const over = held.find((b) => b.usedUnits + b.scheduledUnits > b.capUnits);
    if (over) throw new CapBelowHeldError(over.period, over.capUnits, over.usedUnits + over.scheduledUnits, over.periodStart);
    await authorizationRepository.insertBuckets(tx, held);
  }

  /**
   * A change of the authorization in its lane, one transaction (replayed under an Idempotency-Key);
   * answers the authorization as it is after it, and writes authorization.updated (and any
   * low_units/exhausted crossing, e.g. of a lowered total) when it changed.
   */
  private inLane(
    caller: AuthUser,
    id: string,
    idempotency: IdempotencyContext | undefined,
    change: (tx: Sql, current: AuthorizationRow) => Promise<void>,
  ): Promise<Outcome<AuthorizationResponse>> {
    return this.lanes.run(id, () =>
      this.uow.run(async (tx) => {
        const current = await authorizationRepository.findVisible(tx, caller, id);
        if (!current) throw new NotFoundError('Authorization');
        await change(tx, current);
        const after = (await authorizationRepository.findVisible(tx, caller, id))!;
        const now = new Date();
        const answer = presentAuthorization(after, now);
        if (changed(presentAuthorization(current, now), answer)) {
          await eventsRepository.insert(tx, [authorizationEvent('authorization.updated', after, now), ...crossingEventsBetween(figuresOf(current), after, now)]);
        }
        return answer;
      }, idempotency, [id]),
    );
  }

  /** The ledger ADJUST of a change of totals: `lineId` the line's, null for the pool. */
  private async adjusted(tx: Sql, caller: AuthUser, after: AuthorizationRow, lineId: string | null, units: number): Promise<void> {
    await ledgerRepository.append(tx, [{
      authorizationId: after.id, reservationId: null, lineId, serviceDate: null, type: 'ADJUST', units, actorId: caller.id,
      totalAfter: after.totalUnits, usedAfter: after.usedUnits, scheduledAfter: after.scheduledUnits,
    }]);
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
