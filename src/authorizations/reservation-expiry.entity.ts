import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';

/**
 * The `reservation_expiries` table (migration 20261128000000): one row per SCHEDULED reservation
 * with an `expiresAt`, written and deleted by the same statement that creates or finishes the
 * reservation (the unit operations' plain SQL, reservation.repository.ts); the expiry sweeper reads
 * it. No foreign key to `reservations`, on purpose: its check would read the newest page of the
 * reservations index, which every concurrent reservation writes (see the migration).
 */
@Entity({ tableName: 'reservation_expiries' })
@Index({ name: 'reservation_expiries_due_idx', properties: ['expiresAt'] })
export class ReservationExpiry {
  @PrimaryKey({ type: 'uuid' })
  reservationId!: string;

  @Property({ type: 'timestamptz' })
  expiresAt!: Date;
}
