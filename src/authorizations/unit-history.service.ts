import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import { AuthUser } from '../shared/auth/auth-user';
import { NotFoundError } from '../shared/errors/api-error';
import { decodeCursor, Page, toPage } from '../shared/http/cursor';
import { isUuid } from '../shared/ids';
import { authorizationRepository } from './authorization.repository';
import { PageQuery } from './authorization.dto';
import { ledgerRepository } from './ledger.repository';
import { presentLedgerEntry, presentReservation } from './presenters';
import { LedgerEntryResponse, ListReservationsQuery, ReservationResponse } from './reservation.dto';
import { reservationRepository } from './reservation.repository';

/** Reads of reservations and the ledger, always within the caller's organization. */
@Injectable()
export class UnitHistoryService {
  constructor(private readonly database: Database) {}

  private async assertAuthorizationVisible(caller: AuthUser, authorizationId: string): Promise<void> {
    if (!(await authorizationRepository.isVisible(this.database, caller, authorizationId))) throw new NotFoundError('Authorization');
  }

  async reservation(caller: AuthUser, id: string): Promise<ReservationResponse> {
    const row = await reservationRepository.findVisible(this.database, caller, id);
    if (!row) throw new NotFoundError('Reservation');
    return presentReservation(row);
  }

  async reservations(caller: AuthUser, authorizationId: string, query: ListReservationsQuery): Promise<Page<ReservationResponse>> {
    await this.assertAuthorizationVisible(caller, authorizationId);
    const after = decodeCursor(query.cursor, isUuid);
    const rows = await reservationRepository.listOf(this.database, authorizationId, { status: query.status, after, limit: query.limit });
    return toPage(rows.map(presentReservation), query.limit, (r) => r.id);
  }

  /** Oldest first, by the monotonic entry id. */
  async ledger(caller: AuthUser, authorizationId: string, query: PageQuery): Promise<Page<LedgerEntryResponse>> {
    await this.assertAuthorizationVisible(caller, authorizationId);
    const after = decodeCursor(query.cursor, (key) => /^\d{1,18}$/.test(key));
    const rows = await ledgerRepository.listOf(this.database, authorizationId, after === undefined ? 0 : Number(after), query.limit);
    return toPage(rows.map(presentLedgerEntry), query.limit, (entry) => entry.id);
  }
}
