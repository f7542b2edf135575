import { EntityManager } from '@mikro-orm/postgresql';
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

/** Appends the lines of one unit operation in one statement, in the transaction that moved the units. */
export async function appendLedger(tx: EntityManager, lines: LedgerLine[]): Promise<void> {
  if (lines.length === 0) return;
  const values = lines.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
  const params = lines.flatMap((l) => [l.authorizationId, l.reservationId, l.type, l.units, l.totalAfter, l.usedAfter, l.scheduledAfter, l.actorId]);
  await tx.execute(
    `insert into ledger_entries (authorization_id, reservation_id, type, units, total_after, used_after, scheduled_after, actor_id) values ${values}`,
    params,
  );
}
