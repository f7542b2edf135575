import { Sql, SqlFragment } from '../database/database.service';
import { eventsRepository } from '../events/events.repository';
import { idempotencyRepository } from '../idempotency/idempotency.repository';
import { authorizationRepository } from './authorization.repository';
import { ledgerRepository } from './ledger.repository';
import { reservationRepository } from './reservation.repository';
import type { BatchPlan } from './unit-batch-state';

/**
 * The parts of a batch's write, each built by its table's repository: counters, new reservations
 * (and their expiries), finished reservations (and theirs), ledger lines, events, stored answers. Parts
 * with nothing to write are left out, so no part scans a table it does not touch (under
 * SERIALIZABLE a scan of a whole table would conflict with every concurrent writer). Undefined
 * when the batch changed nothing: it then writes nothing.
 */
export function batchWriteParts(plans: BatchPlan[], now: string): { parts: SqlFragment[]; counted: string[]; changed: number } | undefined {
  const counting = plans.filter((p) => p.ledger.length > 0);
  const created = plans.flatMap((p) => p.newReservations);
  const expiring = created.filter((r) => r.expiresAt !== null);
  const finished = plans.flatMap((p) => p.finishedReservations);
  const moved = plans.flatMap((p) => [...p.movedReservations.values()]);
  const unexpiring = finished.filter((f) => f.expiring);
  const ledger = plans.flatMap((p) => p.ledger);
  const answers = plans.flatMap((p) => p.answers);
  const events = plans.flatMap((p) => p.events);
  if (ledger.length === 0 && answers.length === 0 && events.length === 0) return undefined;
  const parts: SqlFragment[] = [];
  const lines = counting.flatMap((p) => [...p.lineDeltas].map(([lineId, d]) => ({ lineId, ...d })));
  const buckets = counting.flatMap((p) => [...p.bucketDeltas.values()]).filter((b) => b.used !== 0 || b.scheduled !== 0 || b.created);
  const [newBuckets, changedBuckets] = [buckets.filter((b) => b.created), buckets.filter((b) => !b.created)];
  if (counting.length) parts.push(authorizationRepository.countersPart(counting.map((p) => ({ authorizationId: p.authorizationId, ...p.delta })), now));
  if (lines.length) parts.push(authorizationRepository.linesPart(lines, now));
  if (changedBuckets.length) parts.push(authorizationRepository.bucketsPart(changedBuckets));
  if (newBuckets.length) parts.push(authorizationRepository.newBucketsPart(newBuckets));
  if (created.length) parts.push(reservationRepository.createdPart(created, now));
  if (expiring.length) parts.push(reservationRepository.expiringPart(expiring));
  if (unexpiring.length) parts.push(reservationRepository.unexpiringPart(unexpiring.map((f) => f.id)));
  if (finished.length) parts.push(reservationRepository.finishedPart(finished, now));
  if (moved.length) parts.push(reservationRepository.movedPart(moved, now));
  if (ledger.length) parts.push(ledgerRepository.ledgerPart(ledger));
  if (events.length) parts.push(eventsRepository.eventsPart(events));
  if (answers.length) parts.push(idempotencyRepository.answersPart(answers));
  const counted = [...(finished.length ? ['finished'] : []), ...(moved.length ? ['moved'] : [])];
  return { parts, counted, changed: finished.length + moved.length };
}

/**
 * Every write of the batch in one statement (one round trip), inside the batch's transaction.
 * `last`: nothing follows in the transaction, so a write with nothing to verify afterwards (only
 * new reservations: no finished or moved ones to count) travels with the COMMIT.
 */
export async function writeBatch(tx: Sql, plans: BatchPlan[], now: string, last = false): Promise<void> {
  const write = batchWriteParts(plans, now);
  if (!write) return;
  const changed = await authorizationRepository.writeBatch(tx, write.parts, write.counted, last && write.counted.length === 0);
  // Cannot differ under SERIALIZABLE; if it ever did, nothing of this batch may commit.
  if (changed !== write.changed) throw new Error('reservation state changed under the batch');
}
