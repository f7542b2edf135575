import { Check, Entity, Enum, Index, ManyToOne, Opt, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { WebhookEndpoint } from './webhook-endpoint.entity';

export const DELIVERY_STATUSES = ['PENDING', 'DELIVERED', 'FAILED'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * The `webhook_deliveries` table (migration 20261206500000): one row per (endpoint, event), read and
 * written as plain SQL (webhook-delivery.repository.ts); this entity describes the table.
 */
@Entity({ tableName: 'webhook_deliveries' })
@Unique({ name: 'webhook_deliveries_endpoint_event_idx', properties: ['endpointId', 'eventId'] })
@Index({ name: 'webhook_deliveries_endpoint_log_idx', properties: ['endpointId', 'id'] })
@Index({ name: 'webhook_deliveries_due_idx', properties: ['status', 'nextAttemptAt'] })
@Check({ name: 'webhook_deliveries_attempts_check', expression: 'attempts >= 0' })
export class WebhookDelivery {
  @PrimaryKey({ type: 'bigint', generated: 'identity', autoincrement: true })
  id!: number;

  @ManyToOne(() => WebhookEndpoint, {
    mapToPk: true,
    fieldName: 'endpoint_id',
    foreignKeyName: 'webhook_deliveries_endpoint_id_fkey',
    updateRule: 'no action',
    deleteRule: 'cascade',
  })
  endpointId!: string;

  @Property({ type: 'uuid' })
  eventId!: string;

  @Property({ type: 'uuid' })
  organizationId!: string;

  @Property({ type: 'text' })
  eventType!: string;

  @Enum({ items: [...DELIVERY_STATUSES], nativeEnumName: undefined, type: 'text', default: 'PENDING' })
  status: DeliveryStatus & Opt = 'PENDING';

  @Property({ type: 'integer', default: 0 })
  attempts: number & Opt = 0;

  @Property({ type: 'timestamptz' })
  nextAttemptAt!: Date;

  @Property({ type: 'timestamptz', nullable: true })
  leaseUntil: Date | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  lastAttemptAt: Date | null = null;

  @Property({ type: 'integer', nullable: true })
  lastStatusCode: number | null = null;

  @Property({ type: 'text', nullable: true })
  lastError: string | null = null;

  @Property({ type: 'timestamptz', nullable: true })
  deliveredAt: Date | null = null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();
}

/** The `webhook_dispatch_cursor` table: its one row is the dispatcher's position in the outbox. */
@Entity({ tableName: 'webhook_dispatch_cursor' })
@Check({ name: 'webhook_dispatch_cursor_id_check', expression: 'id = 1' })
export class WebhookDispatchCursor {
  @PrimaryKey({ type: 'smallint', autoincrement: false })
  id!: number;

  @Property({ columnType: 'xid8', type: 'string' })
  xid!: string;

  @Property({ type: 'bigint' })
  seq!: number;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date & Opt = new Date();
}
