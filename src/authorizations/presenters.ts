import { todayUtc } from '../shared/http/calendar';
import { availableUnits, effectiveStatus } from './authorization-rules';
import { AuthorizationResponse } from './authorization.dto';
import { AuthorizationRow } from './authorization.repository';
import { LedgerEntryRow } from './ledger.repository';
import { LedgerEntryResponse, ReservationResponse } from './reservation.dto';
import { ReservationRow } from './reservation.repository';

/** Rows as the API shows them (SPEC §5): derived fields added, internal ones left out. */

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

export function presentLedgerEntry(row: LedgerEntryRow): LedgerEntryResponse {
  return {
    id: row.id,
    authorizationId: row.authorizationId,
    reservationId: row.reservationId,
    type: row.type,
    units: row.units,
    totalAfter: row.totalAfter,
    usedAfter: row.usedAfter,
    scheduledAfter: row.scheduledAfter,
    actorId: row.actorId,
    createdAt: row.createdAt,
  };
}
