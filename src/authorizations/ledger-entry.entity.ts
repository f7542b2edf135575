import { Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Authorization } from './authorization.entity';

export type LedgerEntryType = 'RESERVE' | 'RELEASE' | 'CONSUME' | 'EXPIRE' | 'ADJUST';

/**
 * Append-only (enforced by the triggers `ledger_entries_append_only` and `ledger_entries_no_truncate`,
 * which an entity cannot express — see test/entity-schema.e2e-spec.ts): written by the unit
 * operations, never updated. `reservationId` and `actorId` have no foreign key, on purpose (see the
 * initial migration). The type check is the enum's `ledger_entries_type_check`.
 */
@Entity({ tableName: 'ledger_entries' })
@Index({ name: 'ledger_entries_authorization_idx', properties: ['authorizationId', 'id'] })
@Check({ name: 'ledger_entries_units_sign', expression: "case when type = 'ADJUST' then units <> 0 else units > 0 end" })
export class LedgerEntry {
  /** `bigint generated always as identity`: only the database numbers entries. */
  @PrimaryKey({ type: 'bigint', generated: 'identity', autoincrement: true })
  id!: number;

  /** Deleted with its authorization (`on delete cascade`; the trigger allows only that deletion). */
  @ManyToOne(() => Authorization, { mapToPk: true, fieldName: 'authorization_id', foreignKeyName: 'ledger_entries_authorization_id_fkey', updateRule: 'no action', deleteRule: 'cascade' })
  authorizationId!: string;

  @Property({ type: 'uuid', nullable: true })
  reservationId: string | null = null;

  /** The line it moved units on; null for an ADJUST of the pool. */
  @Property({ type: 'uuid', nullable: true })
  lineId: string | null = null;

  /** The reservation's service date (the bucket its units count in); null for an ADJUST. */
  @Property({ type: 'date', nullable: true })
  serviceDate: string | null = null;

  @Enum({ items: ['RESERVE', 'RELEASE', 'CONSUME', 'EXPIRE', 'ADJUST'], nativeEnumName: undefined, type: 'text' })
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

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt!: Date;
}
