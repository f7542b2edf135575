import { iso, Sql } from '../database/database.service';
import { AuthUser } from '../shared/auth/auth-user';
import { tenantScope } from '../shared/auth/tenant-scope';
import { ReservationStatus } from './reservation.entity';

// Every SQL string of the reservations table, except the write statement of a batch of unit
// operations (see the unit operations), which changes reservations, authorizations and the ledger at once.

export const RESERVATION_COLUMNS = `r.id, r.authorization_id as "authorizationId", r.organization_id as "organizationId",
  r.units, r.service_date as "serviceDate", r.reference, ${iso('r.expires_at')} as "expiresAt", r.status,
  r.consumed_units as "consumedUnits", r.created_by as "createdBy", ${iso('r.created_at')} as "createdAt", ${iso('r.updated_at')} as "updatedAt"`;

/** A reservation as RESERVATION_COLUMNS reads it: timestamps are ISO-8601 UTC text, dates 'YYYY-MM-DD'. */
export interface ReservationRow {
  id: string;
  authorizationId: string;
  organizationId: string;
  units: number;
  serviceDate: string;
  reference: string | null;
  expiresAt: string | null;
  status: ReservationStatus;
  consumedUnits: number;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export const reservationRepository = {
  /** The reservation if it is in the caller's organization (any, for a SUPER_ADMIN). */
  async findVisible(sql: Sql, caller: AuthUser, id: string): Promise<ReservationRow | undefined> {
    const scope = tenantScope(caller, 'r.organization_id');
    const [row] = await sql.query<ReservationRow>(`select ${RESERVATION_COLUMNS} from reservations r where r.id = ?${scope.sql}`, [id, ...scope.params]);
    return row;
  },

  /** One page (limit + 1 rows) of an authorization's reservations in id order; the caller checked the authorization is visible. */
  listOf(sql: Sql, authorizationId: string, f: { status?: ReservationStatus; after?: string; limit: number }): Promise<ReservationRow[]> {
    const where = ['r.authorization_id = ?'];
    const params: unknown[] = [authorizationId];
    if (f.status) (where.push('r.status = ?'), params.push(f.status));
    if (f.after) (where.push('r.id > ?'), params.push(f.after));
    return sql.query<ReservationRow>(`select ${RESERVATION_COLUMNS} from reservations r where ${where.join(' and ')} order by r.id limit ?`, [...params, f.limit + 1]);
  },

  /** Whether units were ever reserved on the authorization. */
  async anyFor(sql: Sql, authorizationId: string): Promise<boolean> {
    return (await sql.query('select 1 from reservations where authorization_id = ? limit 1', [authorizationId])).length > 0;
  },
};
