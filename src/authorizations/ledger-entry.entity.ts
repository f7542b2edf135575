import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

export type LedgerEntryType = 'RESERVE' | 'RELEASE' | 'CONSUME' | 'EXPIRE' | 'ADJUST';

/** Append-only (enforced by a trigger): written by the unit operations, never updated. */
@Entity({ tableName: 'ledger_entries' })
export class LedgerEntry {
  @PrimaryKey({ type: 'bigint' })
  id!: number;

  @Property({ type: 'uuid' })
  authorizationId!: string;

  @Property({ type: 'uuid', nullable: true })
  reservationId: string | null = null;

  @Property({ type: 'text' })
  type!: LedgerEntryType;

  @Property({ type: 'integer' })
  units!: number;

  @Property({ type: 'integer' })
  totalAfter!: number;

  @Property({ type: 'integer' })
  usedAfter!: number;

  @Property({ type: 'integer' })
  scheduledAfter!: number;

  @Property({ type: 'uuid', nullable: true })
  actorId: string | null = null;

  @Property({ type: 'timestamptz' })
  createdAt!: Date;
}
