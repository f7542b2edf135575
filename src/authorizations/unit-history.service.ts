import { EntityManager } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { AuthUser } from '../shared/auth/auth-user';
import { NotFoundError } from '../shared/errors/api-error';
import { decodeCursor, Page, toPage } from '../shared/http/cursor';
import { isUuid } from '../shared/ids';
import { authorizationRepository } from './authorization.repository';
import { PageQuery } from '../shared/http/page-query';

import { ledgerRepository } from './ledger.repository';
import { presentLedgerEntry, presentReservation } from './presenters';
import { LedgerEntryResponse, ListReservationsQuery, ReservationResponse } from './reservation.dto';
import { reservationRepository } from './reservation.repository';

/** Reads of reservations and the ledger (through their entities), always within the caller's organization. */
@Injectable()
export class UnitHistoryService {
  constructor(private readonly em: EntityManager) {}

  private async assertAuthorizationVisible(em: EntityManager, caller: AuthUser, authorizationId: string): Promise<void> {
    if (!(await authorizationRepository.exists(em, caller, authorizationId))) throw new NotFoundError('Authorization');
  }

  async reservation(caller: AuthUser, id: string): Promise<ReservationResponse> {
    const row = await reservationRepository.findVisible(this.em.fork(), caller, id);
    if (!row) throw new NotFoundError('Reservation');
    return presentReservation(row);
  }

  async reservations(caller: AuthUser, authorizationId: string, query: ListReservationsQuery): Promise<Page<ReservationResponse>> {
    const em = this.em.fork();
    await this.assertAuthorizationVisible(em, caller, authorizationId);
    const after = decodeCursor(query.cursor, isUuid);
    const rows = await reservationRepository.pageOf(em, authorizationId, { status: query.status, after, limit: query.limit });
    return toPage(rows.map(presentReservation), query.limit, (r) => r.id);
  }

  /** Oldest first, by the monotonic entry id. */
  async ledger(caller: AuthUser, authorizationId: string, query: PageQuery): Promise<Page<LedgerEntryResponse>> {
    const em = this.em.fork();
    await this.assertAuthorizationVisible(em, caller, authorizationId);
    const after = decodeCursor(query.cursor, (key) => /^\d{1,18}$/.test(key));
    const rows = await ledgerRepository.pageOf(em, authorizationId, after === undefined ? 0 : Number(after), query.limit);
    return toPage(rows.map(presentLedgerEntry), query.limit, (entry) => entry.id);
  }
}
