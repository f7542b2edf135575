import { Entity, Enum, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { EVENT_TYPES, EventType } from './event-types';

/**
 * The `events` table (migration 20261206200000): the outbox of SPEC §11. Rows are written with
 * plain SQL inside the transaction of the change they describe, and read with plain SQL by the
 * change feed (events.repository.ts); this entity describes the table for the schema check
 * (test/entity-schema.e2e-spec.ts) and the MikroORM CLI. Named OutboxEvent: `Event` is the DOM's.
 * `organizationId` has no foreign key, on purpose (see the migration).
 */
@Entity({ tableName: 'events' })
@Unique({ name: 'events_position_idx', properties: ['xid', 'seq'] })
@Index({ name: 'events_organization_position_idx', properties: ['organizationId', 'xid', 'seq'] })
export class OutboxEvent {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  /** Orders the events of one transaction (an identity: only the database numbers them). */
  @Property({ type: 'bigint', generated: 'identity', autoincrement: true })
  seq!: number;

  /** The writing transaction's id (xid8, decimal text in JS): the feed's first ordering key. */
  @Property({ columnType: 'xid8', type: 'string', defaultRaw: 'pg_current_xact_id()' })
  xid!: string;

  @Enum({ items: [...EVENT_TYPES], nativeEnumName: undefined, type: 'text' })
  type!: EventType;

  @Property({ type: 'uuid' })
  organizationId!: string;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  occurredAt!: Date;

  @Property({ type: 'json' })
  data!: unknown;
}
