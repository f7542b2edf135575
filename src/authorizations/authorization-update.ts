import { ValidationFailedError } from '../shared/errors/api-error';
import { HasScheduledUnitsError, TotalBelowAllocatedError } from '../shared/errors/business-errors';
import { AuthorizationRow } from './authorization.repository';
import { UpdateAuthorizationDto } from './authorization.dto';

export interface PlannedUpdate {
  columns: Record<string, unknown>;
  /** Signed change of totalUnits (ledger ADJUST), 0 when unchanged. */
  adjustBy: number;
  /** The line whose total changes with it (a one-line authorization without pool); null: the pool. */
  lineId: string | null;
}

/** Decides a PATCH against the current row (pure: SPEC §4 Adjust and the cancellation rule). */
export function planUpdate(current: AuthorizationRow, dto: UpdateAuthorizationDto): PlannedUpdate {
  const columns: Record<string, unknown> = {};
  let adjustBy = 0;
  let lineId: string | null = null;
  if (dto.totalUnits !== undefined && dto.totalUnits !== current.totalUnits) {
    // SPEC §10: the pool when set; the single line's total on a one-line authorization; else refused.
    if (current.poolUnits === null && current.lines.length !== 1) {
      throw new ValidationFailedError([{ field: 'totalUnits', message: 'the authorization has several lines and no pool: change a line (PATCH …/lines/:lineId)' }]);
    }
    const allocated = current.usedUnits + current.scheduledUnits;
    if (dto.totalUnits < allocated) throw new TotalBelowAllocatedError(dto.totalUnits, allocated);
    columns.total_units = dto.totalUnits;
    if (current.poolUnits !== null) columns.pool_units = dto.totalUnits;
    else (columns.lines_total_units = dto.totalUnits), (lineId = current.lines[0].id);
    adjustBy = dto.totalUnits - current.totalUnits;
  }
  if (dto.endDate !== undefined) {
    if (dto.endDate < current.startDate) {
      throw new ValidationFailedError([{ field: 'endDate', message: `endDate must not be before startDate ${current.startDate}` }]);
    }
    columns.end_date = dto.endDate;
  }
  if (dto.status !== undefined && dto.status !== current.status) {
    if (dto.status === 'CANCELLED' && current.scheduledUnits > 0) throw new HasScheduledUnitsError(current.scheduledUnits);
    columns.status = dto.status;
  }
  if (dto.notes !== undefined) columns.notes = dto.notes;
  if (dto.payer !== undefined) columns.payer = dto.payer;
  return { columns, adjustBy, lineId };
}
