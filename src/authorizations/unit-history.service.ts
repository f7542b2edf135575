import { Database } from '../database/database.service';
import { Injectable } from '@nestjs/common';
import { AuthUser } from '../shared/auth/auth-user';
import { NotFoundError } from '../shared/errors/api-error';
import { decodeCursor, Page, toPage } from '../shared/http/cursor';
import { isUuid } from '../shared/ids';
import { LEDGER_COLUMNS, presentReservation, RESERVATION_COLUMNS, ReservationRow, tenantScope } from './authorization-sql';
import { PageQuery } from './authorization.dto';
import { LedgerEntryResponse, ListReservationsQuery, ReservationResponse } from './reservation.dto';

/** Reads of reservations and the ledger, always within the caller's organization. */
@Injectable()
export class UnitHistoryService {
  constructor(private readonly database: Database) {}

  private sql<T>(query: string, params: unknown[]): Promise<T[]> {
    return this.database.query<T>(query, params);
  }

  private async assertAuthorizationVisible(caller: AuthUser, authorizationId: string): Promise<void> {
    const scope = tenantScope(caller, 'organization_id');
    const [found] = await this.sql(`select 1 from authorizations where id = ?${scope.sql}`, [authorizationId, ...scope.params]);
    if (!found) throw new NotFoundError('Authorization');
  }

  async reservation(caller: AuthUser, id: string): Promise<ReservationResponse> {
    const scope = tenantScope(caller, 'r.organization_id');
    const [row] = await this.sql<ReservationRow>(`select ${RESERVATION_COLUMNS} from reservations r where r.id = ?${scope.sql}`, [id, ...scope.params]);
    if (!row) throw new NotFoundError('Reservation');
    return presentReservation(row);
  }

  async reservations(caller: AuthUser, authorizationId: string, query: ListReservationsQuery): Promise<Page<ReservationResponse>> {
    await this.assertAuthorizationVisible(caller, authorizationId);
    const after = decodeCursor(query.cursor, isUuid);
    const where = ['r.authorization_id = ?'];
    const params: unknown[] = [authorizationId];
    if (query.status) (where.push('r.status = ?'), params.push(query.status));
    if (after) (where.push('r.id > ?'), params.push(after));
    const rows = await this.sql<ReservationRow>(
      `select ${RESERVATION_COLUMNS} from reservations r where ${where.join(' and ')} order by r.id limit ?`,
      [...params, query.limit + 1],
    );
    return toPage(rows.map(presentReservation), query.limit, (r) => r.id);
  }

  /** Oldest first, by the monotonic entry id. */
  async ledger(caller: AuthUser, authorizationId: string, query: PageQuery): Promise<Page<LedgerEntryResponse>> {
    await this.assertAuthorizationVisible(caller, authorizationId);
    const after = decodeCursor(query.cursor, (key) => /^\d{1,18}$/.test(key));
    const rows = await this.sql<LedgerEntryResponse>(
      `select ${LEDGER_COLUMNS} from ledger_entries l where l.authorization_id = ? and l.id > ? order by l.id limit ?`,
      [authorizationId, after ?? 0, query.limit + 1],
    );
    return toPage(rows, query.limit, (entry) => entry.id);
  }
}
