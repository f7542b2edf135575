import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { Database, Sql } from '../database/database.service';
import { AuthUser } from '../shared/auth/auth-user';
import { NotFoundError, ValidationFailedError } from '../shared/errors/api-error';
import { CapBelowHeldError, HasScheduledUnitsError } from '../shared/errors/business-errors';
import { IdempotencyContext, Outcome } from '../shared/idempotency/idempotency-context';
import { newId } from '../shared/ids';
import { UnitOfWork } from '../shared/transactions/unit-of-work.service';
import { OrganizationResponse, UpdateOrganizationDto } from './organization.dto';
import { Organization, WeekStart } from './organization.entity';
import { OrganizationChanges, organizationRepository, OrganizationRow } from './organization.repository';

const present = (o: OrganizationRow | Organization): OrganizationResponse => ({
  id: o.id,
  name: o.name,
  weekStartsOn: o.weekStartsOn,
  timeZone: o.timeZone,
  lowUnitsPercent: o.lowUnitsPercent,
  expiringWithinDays: o.expiringWithinDays,
  createdAt: new Date(o.createdAt).toISOString(),
});

/** The columns a PATCH changes: the fields given whose value differs from the current one. */
function changesOf(current: OrganizationRow, dto: UpdateOrganizationDto): OrganizationChanges {
  const changes: OrganizationChanges = {};
  if (dto.name !== undefined && dto.name !== current.name) changes.name = dto.name;
  if (dto.weekStartsOn !== undefined && dto.weekStartsOn !== current.weekStartsOn) changes.week_starts_on = dto.weekStartsOn;
  if (dto.timeZone !== undefined && dto.timeZone !== current.timeZone) changes.time_zone = dto.timeZone;
  if (dto.lowUnitsPercent !== undefined && dto.lowUnitsPercent !== current.lowUnitsPercent) changes.low_units_percent = dto.lowUnitsPercent;
  if (dto.expiringWithinDays !== undefined && dto.expiringWithinDays !== current.expiringWithinDays) changes.expiring_within_days = dto.expiringWithinDays;
  return changes;
}

@Injectable()
export class OrganizationsService {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly em: EntityManager,
    private readonly database: Database,
  ) {}

  create(name: string, idempotency?: IdempotencyContext): Promise<Outcome<OrganizationResponse>> {
    return this.uow.run(async (tx) => present(await organizationRepository.insert(tx, newId(), name)), idempotency);
  }

  async list(): Promise<OrganizationResponse[]> {
    const rows = await this.em.fork().find(Organization, {}, { orderBy: { id: 'asc' } });
    return rows.map(present);
  }

  /** A SUPER_ADMIN reads any organization, anyone else only their own (another one is 404, as everywhere). */
  async get(caller: AuthUser, id: string): Promise<OrganizationResponse> {
    const row = await organizationRepository.findVisible(this.database, caller, id);
    if (!row) throw new NotFoundError('Organization');
    return present(row);
  }

  /** PATCH: the settings given, in one SERIALIZABLE transaction (retried on conflict by the RetryInterceptor). */
  async update(caller: AuthUser, id: string, dto: UpdateOrganizationDto): Promise<OrganizationResponse> {
    const { value } = await this.uow.run(async (tx) => {
      const current = await organizationRepository.findVisible(tx, caller, id);
      if (!current) throw new NotFoundError('Organization');
      const changes = changesOf(current, dto);
      if (changes.time_zone !== undefined && !(await organizationRepository.isKnownTimeZone(tx, changes.time_zone))) {
        throw new ValidationFailedError([{ field: 'timeZone', message: 'timeZone must be an IANA time zone name such as America/New_York or UTC' }]);
      }
      if (Object.keys(changes).length === 0) return present(current);
      if (changes.week_starts_on !== undefined) await this.regroupWeeks(tx, id, changes.week_starts_on);
      return present(await organizationRepository.update(tx, id, changes));
    });
    return value;
  }

  /**
   * A new week start moves every weekly cap bucket of the organization (SPEC §10). Refused while
   * any of them holds SCHEDULED units (409 HAS_SCHEDULED_UNITS), and when the CONSUMED units of a
   * regrouped week exceed its cap (409 CAP_BELOW_HELD); otherwise the buckets are rebuilt from the
   * CONSUMED reservations, in the PATCH's transaction. Unit operations read the organization row in
   * theirs, so a concurrent reservation conflicts with this change (SERIALIZABLE) and is retried.
   */
  private async regroupWeeks(tx: Sql, organizationId: string, weekStartsOn: WeekStart): Promise<void> {
    const scheduledUnits = await organizationRepository.weeklyScheduledUnits(tx, organizationId);
    if (scheduledUnits > 0) throw new HasScheduledUnitsError(scheduledUnits);
    const overrun = await organizationRepository.weeklyCapOverrun(tx, organizationId, weekStartsOn);
    if (overrun) throw new CapBelowHeldError('WEEK', overrun.capUnits, overrun.heldUnits, overrun.periodStart);
    await organizationRepository.rebuildWeeklyBuckets(tx, organizationId, weekStartsOn);
  }
}
