import { todayIn } from '../shared/http/calendar';
import { availableUnits, effectiveStatus } from './authorization-rules';
import { AuthorizationResponse, CapResponse, LineResponse } from './authorization.dto';
import { AuthorizationRow } from './authorization.repository';
import { LedgerEntryRow } from './ledger.repository';
import { LedgerEntryResponse, ReservationResponse } from './reservation.dto';
import { ReservationRow } from './reservation.repository';
import { CapRow, lineAvailable, LineRow, modifierList } from './unit-limits';

/** Rows as the API shows them (SPEC §5): derived fields added, internal ones left out. */

const presentCaps = (caps: CapRow[], lineId: string | null): CapResponse[] =>
  caps.filter((c) => c.lineId === lineId).map((c) => ({ period: c.period, units: c.units }));

export function presentLine(line: LineRow, caps: CapRow[]): LineResponse {
  return {
    id: line.id,
    serviceCode: line.serviceCode,
    modifiers: modifierList(line.modifiers),
    totalUnits: line.totalUnits,
    usedUnits: line.usedUnits,
    scheduledUnits: line.scheduledUnits,
    availableUnits: lineAvailable(line),
    caps: presentCaps(caps, line.id),
  };
}

/** `now` decides the effective status, through the organization's today (its time zone). */
export function presentAuthorization(row: AuthorizationRow, now = new Date()): AuthorizationResponse {
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
    status: effectiveStatus(row, todayIn(row.timeZone, now)),
    notes: row.notes,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    poolUnits: row.poolUnits,
    lines: row.lines.map((line) => presentLine(line, row.caps)),
    caps: presentCaps(row.caps, null),
  };
}

export function presentReservation(row: ReservationRow): ReservationResponse {
  return {
    id: row.id,
    authorizationId: row.authorizationId,
    units: row.units,
    lineId: row.lineId,
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
    lineId: row.lineId,
    serviceDate: row.serviceDate,
    type: row.type,
    units: row.units,
    totalAfter: row.totalAfter,
    usedAfter: row.usedAfter,
    scheduledAfter: row.scheduledAfter,
    actorId: row.actorId,
    createdAt: row.createdAt,
  };
}
