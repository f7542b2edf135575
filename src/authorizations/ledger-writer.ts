import { Sql } from '../database/database.service';
import { LedgerEntryType } from './ledger-entry.entity';

export interface LedgerLine {
  authorizationId: string;
  reservationId: string | null;
  type: LedgerEntryType;
  units: number;
  totalAfter: number;
  usedAfter: number;
  scheduledAfter: number;
  actorId: string | null;
}

/** The ledger lines as column arrays, in order, for `insert … select * from unnest(…)`. */
export const LEDGER_UNNEST = 'unnest(?::uuid[], ?::uuid[], ?::text[], ?::int[], ?::int[], ?::int[], ?::int[], ?::uuid[]) with ordinality';

export function ledgerColumns(lines: LedgerLine[]): unknown[] {
  return [
    lines.map((l) => l.authorizationId),
    lines.map((l) => l.reservationId),
    lines.map((l) => l.type),
    lines.map((l) => l.units),
    lines.map((l) => l.totalAfter),
    lines.map((l) => l.usedAfter),
    lines.map((l) => l.scheduledAfter),
    lines.map((l) => l.actorId),
  ];
}

/** Appends lines in one statement, in order (ids follow the array order), inside the caller's transaction. */
export async function appendLedger(tx: Sql, lines: LedgerLine[]): Promise<void> {
  if (lines.length === 0) return;
  await tx.query(
    `insert into ledger_entries (authorization_id, reservation_id, type, units, total_after, used_after, scheduled_after, actor_id)
     select a, r, t, u, ta, ua, sa, ac from ${LEDGER_UNNEST} as l (a, r, t, u, ta, ua, sa, ac, n) order by n`,
    ledgerColumns(lines),
    { prepare: true },
  );
}
