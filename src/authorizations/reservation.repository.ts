import { EntityManager } from '@mikro-orm/postgresql';
import { iso, Sql, SqlFragment } from '../database/database.service';
import { AuthUser } from '../shared/auth/auth-user';
import { tenantScope, tenantWhere } from '../shared/auth/tenant-scope';
import { Reservation, ReservationStatus } from './reservation.entity';

// Every SQL string of the reservations table. The unit operations (the measured hot path) read and
// write with plain SQL; the history reads (GET a reservation, a page of them) go through the
// Reservation entity. Either way the repository answers with ReservationRow.

export const RESERVATION_COLUMNS = `r.id, r.authorization_id as "authorizationId", r.organization_id as "organizationId",
  r.line_id as "lineId", r.units, r.service_date as "serviceDate", r.reference, ${iso('r.expires_at')} as "expiresAt", r.status,
  r.consumed_units as "consumedUnits", r.created_by as "createdBy", ${iso('r.created_at')} as "createdAt", ${iso('r.updated_at')} as "updatedAt"`;

/** A reservation as RESERVATION_COLUMNS reads it: timestamps are ISO-8601 UTC text, dates 'YYYY-MM-DD'. */
export interface ReservationRow {
  id: string;
  authorizationId: string;
  organizationId: string;
  lineId: string;
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

/** An entity as a row: timestamps as ISO-8601 text, as the plain SQL reads them. */
const rowOf = (r: Reservation): ReservationRow => ({
  id: r.id,
  authorizationId: r.authorizationId,
  organizationId: r.organizationId,
  lineId: r.lineId,
  units: r.units,
  serviceDate: r.serviceDate,
  reference: r.reference,
  expiresAt: r.expiresAt ? r.expiresAt.toISOString() : null,
  status: r.status,
  consumedUnits: r.consumedUnits,
  createdBy: r.createdBy,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

export const reservationRepository = {
  /** The reservation if it is in the caller's organization (any, for a SUPER_ADMIN). */
  async findVisible(em: EntityManager, caller: AuthUser, id: string): Promise<ReservationRow | undefined> {
    const found = await em.findOne(Reservation, { id, ...tenantWhere(caller) });
    return found ? rowOf(found) : undefined;
  },

  /** One page (limit + 1 rows) of an authorization's reservations in id order; the caller checked the authorization is visible. */
  async pageOf(em: EntityManager, authorizationId: string, f: { status?: ReservationStatus; after?: string; limit: number }): Promise<ReservationRow[]> {
    const found = await em.find(
      Reservation,
      { authorizationId, ...(f.status ? { status: f.status } : {}), ...(f.after ? { id: { $gt: f.after } } : {}) },
      { orderBy: { id: 'asc' }, limit: f.limit + 1 },
    );
    return found.map(rowOf);
  },

  /** Reservations by id, whatever their organization (a batch decides visibility per caller, with canSee). Prepared: the hot path. */
  findByIds(sql: Sql, ids: string[]): Promise<ReservationRow[]> {
    return sql.query<ReservationRow>(`select ${RESERVATION_COLUMNS} from reservations r where r.id = any(?::uuid[])`, [ids], { prepare: true });
  },

  /** The authorization a visible reservation belongs to. */
  async authorizationOf(sql: Sql, caller: AuthUser, id: string): Promise<string | undefined> {
    const scope = tenantScope(caller, 'organization_id');
    const [row] = await sql.query<{ authorizationId: string }>(`select authorization_id as "authorizationId" from reservations where id = ?${scope.sql}`, [id, ...scope.params]);
    return row?.authorizationId;
  },

  /** Up to `limit` scheduled reservations whose expiresAt has passed, the longest overdue first. */
  dueForExpiry(sql: Sql, limit: number): Promise<{ id: string; authorizationId: string }[]> {
    return sql.query<{ id: string; authorizationId: string }>(
      `select r.id, r.authorization_id as "authorizationId" from reservation_expiries e join reservations r on r.id = e.reservation_id
       where e.expires_at <= now() and r.status = 'SCHEDULED' order by e.expires_at limit ?`,
      [limit],
    );
  },

  /** The batch write's part for new reservations (SCHEDULED, created now). */
  createdPart(created: ReservationRow[], now: string): SqlFragment {
    return {
      sql: `created as (insert into reservations (id, authorization_id, organization_id, line_id, units, service_date, reference, expires_at, status, consumed_units, created_by, created_at, updated_at)
          select v.id, v.authorization_id, v.organization_id, v.line_id, v.units, v.service_date, v.reference, v.expires_at, 'SCHEDULED', 0, v.created_by, ?, ?
          from unnest(?::uuid[], ?::uuid[], ?::uuid[], ?::uuid[], ?::int[], ?::date[], ?::text[], ?::timestamptz[], ?::uuid[])
            as v (id, authorization_id, organization_id, line_id, units, service_date, reference, expires_at, created_by))`,
      params: [
        now, now,
        created.map((r) => r.id), created.map((r) => r.authorizationId), created.map((r) => r.organizationId), created.map((r) => r.lineId), created.map((r) => r.units),
        created.map((r) => r.serviceDate), created.map((r) => r.reference), created.map((r) => r.expiresAt), created.map((r) => r.createdBy),
      ],
    };
  },

  /** The batch write's part that files new reservations with an expiresAt for the sweeper. */
  expiringPart(expiring: { id: string; expiresAt: string | null }[]): SqlFragment {
    return {
      sql: `expiring as (insert into reservation_expiries (reservation_id, expires_at) select * from unnest(?::uuid[], ?::timestamptz[]))`,
      params: [expiring.map((r) => r.id), expiring.map((r) => r.expiresAt)],
    };
  },

  /** The batch write's part that takes finished reservations off the sweeper's list. */
  unexpiringPart(ids: string[]): SqlFragment {
    return { sql: `unexpiring as (delete from reservation_expiries where reservation_id = any(?::uuid[]))`, params: [ids] };
  },

  /** The batch write's part for finished reservations: only while still SCHEDULED (returns the ids it changed). */
  finishedPart(finished: { id: string; status: string; consumedUnits: number }[], now: string): SqlFragment {
    const ids = finished.map((f) => f.id);
    return {
      sql: `finished as (update reservations as r set status = v.status, consumed_units = v.consumed, updated_at = ?
          from unnest(?::uuid[], ?::text[], ?::int[]) as v (id, status, consumed)
          where r.id = any(?::uuid[]) and r.id = v.id and r.status = 'SCHEDULED' returning r.id)`,
      params: [now, ids, finished.map((f) => f.status), finished.map((f) => f.consumedUnits), ids],
    };
  },

  /** The batch write's part for moved reservations: new units and date, one revision more, only while still SCHEDULED (returns the ids it changed). */
  movedPart(moved: { id: string; units: number; serviceDate: string }[], now: string): SqlFragment {
    const ids = moved.map((m) => m.id);
    return {
      sql: `moved as (update reservations as r set units = v.units, service_date = v.service_date, revision = r.revision + 1, updated_at = ?
          from unnest(?::uuid[], ?::int[], ?::date[]) as v (id, units, service_date)
          where r.id = any(?::uuid[]) and r.id = v.id and r.status = 'SCHEDULED' returning r.id)`,
      params: [now, ids, moved.map((m) => m.units), moved.map((m) => m.serviceDate), ids],
    };
  },

  /** Whether units were ever reserved on the authorization. */
  async anyFor(sql: Sql, authorizationId: string): Promise<boolean> {
    return (await sql.query('select 1 from reservations where authorization_id = ? limit 1', [authorizationId])).length > 0;
  },
};
