import { AuthUser } from '../shared/auth/auth-user';
import { iso } from '../database/database.service';
import { Role } from '../shared/auth/role';
import { todayUtc } from '../shared/http/calendar';
import { availableUnits, effectiveStatus, UnitCounters } from './authorization-rules';
import { AuthorizationResponse } from './authorization.dto';
import { ReservationResponse } from './reservation.dto';


// Unit operations run as plain SQL (one statement per step, no ORM change tracking on the hot
// path); these column lists give rows the same camelCase shape as the entities.

export const AUTHORIZATION_COLUMNS = `a.id, a.organization_id as "organizationId", a.patient_id as "patientId", a.payer,
  a.auth_number as "authNumber", a.service_code as "serviceCode", a.total_units as "totalUnits",
  a.used_units as "usedUnits", a.scheduled_units as "scheduledUnits", a.start_date as "startDate",
  a.end_date as "endDate", a.status, a.notes, ${iso('a.created_at')} as "createdAt", ${iso('a.updated_at')} as "updatedAt"`;

export const RESERVATION_COLUMNS = `r.id, r.authorization_id as "authorizationId", r.organization_id as "organizationId",
  r.units, r.service_date as "serviceDate", r.reference, ${iso('r.expires_at')} as "expiresAt", r.status,
  r.consumed_units as "consumedUnits", r.created_by as "createdBy", ${iso('r.created_at')} as "createdAt", ${iso('r.updated_at')} as "updatedAt"`;

export const LEDGER_COLUMNS = `l.id, l.authorization_id as "authorizationId", l.reservation_id as "reservationId", l.type,
  l.units, l.total_after as "totalAfter", l.used_after as "usedAfter", l.scheduled_after as "scheduledAfter",
  l.actor_id as "actorId", ${iso('l.created_at')} as "createdAt"`;

/** The effective status of SPEC §3 as SQL, for filtering lists; ? is today's date. Mirrors effectiveStatus(). */
export const EFFECTIVE_STATUS_SQL = `(case when a.status <> 'ACTIVE' then a.status
  when ?::date > a.end_date then 'EXPIRED'
  when a.total_units - a.used_units - a.scheduled_units = 0 then 'EXHAUSTED'
  else 'ACTIVE' end)`;

export interface AuthorizationRow extends UnitCounters {
  id: string;
  organizationId: string;
  patientId: string;
  payer: string | null;
  authNumber: string;
  serviceCode: string;
  notes: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ReservationRow extends Omit<ReservationResponse, 'status'> {
  organizationId: string;
  status: ReservationResponse['status'];
}

/**
 * Tenant isolation in the query itself: `and <column> = ?` for everyone but a SUPER_ADMIN.
 * Rows of another organization are simply not found (404), never "forbidden".
 */
export function tenantScope(caller: AuthUser, column: string): { sql: string; params: unknown[] } {
  return caller.role === Role.SUPER_ADMIN ? { sql: '', params: [] } : { sql: ` and ${column} = ?`, params: [caller.organizationId] };
}

export function presentAuthorization(row: AuthorizationRow, today = todayUtc()): AuthorizationResponse {
  return {
    id: row.id,
    organizationId: row.organizationId,
    patientId: row.patientId,
    payer: row.payer,
    authNumber: row.authNumber,
    serviceCode: row.serviceCode,
    totalUnits: row.totalUnits,
    usedUnits: row.usedUnits,
    scheduledUnits: row.scheduledUnits,
    availableUnits: availableUnits(row),
    startDate: row.startDate,
    endDate: row.endDate,
    status: effectiveStatus(row, today),
    notes: row.notes,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function presentReservation(row: ReservationRow): ReservationResponse {
  return {
    id: row.id,
    authorizationId: row.authorizationId,
    units: row.units,
    serviceDate: row.serviceDate,
    reference: row.reference,
    expiresAt: row.expiresAt,
    status: row.status,
    consumedUnits: row.consumedUnits,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
