import { EntityManager } from '@mikro-orm/postgresql';
import { Sql, SqlFragment } from '../database/database.service';
import { LedgerEntry, LedgerEntryType } from './ledger-entry.entity';

// Every SQL string of the ledger_entries table (append-only: a trigger refuses updates and deletes).
// Lines are written with plain SQL (the unit operations, the hot path); pages of the history are
// read through the LedgerEntry entity.

export interface LedgerLine {
  authorizationId: string;
  reservationId: string | null;
  /** null for an ADJUST of the pool. */
  lineId: string | null;
  /** The reservation's service date; null for an ADJUST. */
  serviceDate: string | null;
  type: LedgerEntryType;
  units: number;
  totalAfter: number;
  usedAfter: number;
  scheduledAfter: number;
  actorId: string | null;
}

/** An entry as LEDGER_COLUMNS reads it: the id is a bigint identity (read as a number), createdAt ISO-8601 UTC text. */
export interface LedgerEntryRow extends LedgerLine {
  id: number;
  createdAt: string;
}

/** The ledger lines as column arrays, in order, for `insert … select * from unnest(…)`. */
export const LEDGER_UNNEST = 'unnest(?::uuid[], ?::uuid[], ?::uuid[], ?::date[], ?::text[], ?::int[], ?::int[], ?::int[], ?::int[], ?::uuid[]) with ordinality';
const LEDGER_INSERT = `insert into ledger_entries (authorization_id, reservation_id, line_id, service_date, type, units, total_after, used_after, scheduled_after, actor_id)
  select a, r, li, sd, t, u, ta, ua, sa, ac from ${LEDGER_UNNEST} as l (a, r, li, sd, t, u, ta, ua, sa, ac, n) order by n`;

export function ledgerColumns(lines: LedgerLine[]): unknown[] {
  return [
    lines.map((l) => l.authorizationId),
    lines.map((l) => l.reservationId),
    lines.map((l) => l.lineId),
    lines.map((l) => l.serviceDate),
    lines.map((l) => l.type),
    lines.map((l) => l.units),
    lines.map((l) => l.totalAfter),
    lines.map((l) => l.usedAfter),
    lines.map((l) => l.scheduledAfter),
    lines.map((l) => l.actorId),
  ];
}

export const ledgerRepository = {
  /** Appends lines in one statement, in order (ids follow the array order), inside the caller's transaction. */
  async append(tx: Sql, lines: LedgerLine[]): Promise<void> {
    if (lines.length === 0) return;
    await tx.query(LEDGER_INSERT, ledgerColumns(lines), { prepare: true });
  },

  /** The batch write's part for the ledger: the lines in order, as append() writes them. */
  ledgerPart(lines: LedgerLine[]): SqlFragment {
    return {
      sql: `ledger as (${LEDGER_INSERT})`,
      params: ledgerColumns(lines),
    };
  },

  /** One page (limit + 1 rows) of an authorization's entries, oldest first; the caller checked the authorization is visible. */
  async pageOf(em: EntityManager, authorizationId: string, after: number, limit: number): Promise<LedgerEntryRow[]> {
    const found = await em.find(LedgerEntry, { authorizationId, id: { $gt: after } }, { orderBy: { id: 'asc' }, limit: limit + 1 });
    return found.map((l) => ({
      id: Number(l.id),
      authorizationId: l.authorizationId,
      reservationId: l.reservationId,
      lineId: l.lineId,
      serviceDate: l.serviceDate,
      type: l.type,
      units: l.units,
      totalAfter: l.totalAfter,
      usedAfter: l.usedAfter,
      scheduledAfter: l.scheduledAfter,
      actorId: l.actorId,
      createdAt: l.createdAt.toISOString(),
    }));
  },
};
