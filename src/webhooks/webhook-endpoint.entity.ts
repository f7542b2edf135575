import { Check, Entity, Index, ManyToOne, Opt, PrimaryKey, Property } from '@mikro-orm/core';
import { Organization } from '../organizations/organization.entity';

/**
 * The `webhook_endpoints` table (migration 20261206300000): an organization's webhook receivers.
 * Read and written as plain SQL (webhook-endpoint.repository.ts). `secret` is kept as given (it
 * must sign every delivery: see the migration) and is never part of an answer after creation.
 */
@Entity({ tableName: 'webhook_endpoints' })
@Index({ name: 'webhook_endpoints_organization_idx', properties: ['organizationId', 'id'] })
@Check({ name: 'webhook_endpoints_url_check', expression: 'char_length(url) >= 1 and char_length(url) <= 2048' })
@Check({ name: 'webhook_endpoints_event_types_check', expression: 'cardinality(event_types) >= 1' })
@Check({ name: 'webhook_endpoints_description_check', expression: 'char_length(description) >= 1 and char_length(description) <= 500' })
@Check({ name: 'webhook_endpoints_secret_check', expression: 'char_length(secret) >= 32' })
@Check({ name: 'webhook_endpoints_disabled_reason_check', expression: 'char_length(disabled_reason) <= 500' })
export class WebhookEndpoint {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @ManyToOne(() => Organization, {
    mapToPk: true,
    fieldName: 'organization_id',
    foreignKeyName: 'webhook_endpoints_organization_id_fkey',
    updateRule: 'no action',
    deleteRule: 'no action',
  })
  organizationId!: string;

  @Property({ type: 'text' })
  url!: string;

  @Property({ type: 'text[]' })
  eventTypes!: string[];

  @Property({ type: 'text', nullable: true })
  description: string | null = null;

  @Property({ type: 'boolean', default: true })
  enabled: boolean & Opt = true;

  @Property({ type: 'text', hidden: true, lazy: true })
  secret!: string;

  @Property({ type: 'timestamptz', nullable: true })
  failingSince: Date | null = null;

  @Property({ type: 'text', nullable: true })
  disabledReason: string | null = null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', defaultRaw: 'now()', onUpdate: () => new Date() })
  updatedAt: Date & Opt = new Date();
}
