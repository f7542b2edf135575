import { Check, Entity, Enum, Index, ManyToOne, Opt, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Organization } from '../organizations/organization.entity';
import { newId } from '../shared/ids';

export type StoredAuthorizationStatus = 'PENDING' | 'ACTIVE' | 'CANCELLED';

/**
 * The `authorizations` table as the migrations create it: the CHECK constraints are the invariant of
 * SPEC §1 (no overbooking). Not expressible here: the table's `fillfactor = 50` (see
 * test/entity-schema.e2e-spec.ts). The status check is the enum's `authorizations_status_check`.
 */
@Entity({ tableName: 'authorizations' })
@Unique({ name: 'authorizations_auth_number_key', properties: ['organizationId', 'authNumber'] })
@Index({ name: 'authorizations_organization_idx', properties: ['organizationId', 'id'] })
@Index({ name: 'authorizations_patient_idx', properties: ['organizationId', 'patientId', 'id'] })
@Check({ name: 'authorizations_patient_id_check', expression: 'char_length(patient_id) >= 1 and char_length(patient_id) <= 128' })
@Check({ name: 'authorizations_payer_check', expression: 'char_length(payer) <= 128' })
@Check({ name: 'authorizations_auth_number_check', expression: 'char_length(auth_number) >= 1 and char_length(auth_number) <= 64' })
@Check({ name: 'authorizations_service_code_check', expression: "service_code ~ '^[A-Z0-9]{4,8}$'" })
@Check({ name: 'authorizations_total_units_check', expression: 'total_units >= 1 and total_units <= 1000000' })
@Check({ name: 'authorizations_notes_check', expression: 'char_length(notes) <= 2000' })
@Check({ name: 'authorizations_used_nonnegative', expression: 'used_units >= 0' })
@Check({ name: 'authorizations_scheduled_nonnegative', expression: 'scheduled_units >= 0' })
@Check({ name: 'authorizations_no_overbooking', expression: 'used_units + scheduled_units <= total_units' })
@Check({ name: 'authorizations_period', expression: 'start_date <= end_date' })
@Check({ name: 'authorizations_pool_units_check', expression: 'pool_units >= 1 and pool_units <= 1000000' })
@Check({ name: 'authorizations_lines_total_check', expression: 'lines_total_units >= 1 and lines_total_units <= 20000000' })
@Check({ name: 'authorizations_pool_is_total', expression: 'COALESCE(pool_units, lines_total_units) = total_units' })
@Check({ name: 'authorizations_pooled_check', expression: 'pooled = (pool_units IS NOT NULL)' })
@Unique({ name: 'authorizations_id_pooled_key', properties: ['id', 'pooled'] })
@Unique({ name: 'authorizations_sole_line_key', properties: ['id', 'soleLineId'] })
@Unique({ name: 'authorizations_id_capped_key', properties: ['id', 'capped'] })
@Index({
  name: 'authorizations_deadline_idx',
  expression: `create index "authorizations_deadline_idx" on "authorizations" ("end_date") where status = 'ACTIVE' and not expired_announced`,
})
@Check({
  name: 'authorizations_sole_line_check',
  expression: '((sole_line_id IS NULL) = (sole_line_modifiers IS NULL)) AND ((sole_line_id IS NULL) OR ((service_code IS NOT NULL) AND (NOT pooled)))',
})
export class Authorization {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = newId();

  /** The organization's id (a foreign key; read and written as the id, never loaded as an entity). */
  @ManyToOne(() => Organization, { mapToPk: true, fieldName: 'organization_id', foreignKeyName: 'authorizations_organization_id_fkey', updateRule: 'no action', deleteRule: 'no action' })
  organizationId!: string;

  @Property({ type: 'text' })
  patientId!: string;

  @Property({ type: 'text', nullable: true })
  payer: (string & Opt) | null = null;

  @Property({ type: 'text' })
  authNumber!: string;

  /** Its single line's code; null with several lines (SPEC §10). */
  @Property({ type: 'text', nullable: true })
  serviceCode!: string | null;

  /** The pool when one is set, else the sum of the lines' totals (`authorizations_pool_is_total`). */
  @Property({ type: 'integer' })
  totalUnits!: number;

  /** One total shared by all lines ("grouped codes"); null without a pool. */
  @Property({ type: 'integer', nullable: true })
  poolUnits: (number & Opt) | null = null;

  /**
   * Its only line when it has one and no pool (migration 20261206000000): that line's units are
   * counted on this row alone, and its code (serviceCode), modifiers and total are this row's, kept
   * equal by the foreign key `authorizations_sole_line_fkey` (not expressible here).
   */
  @Property({ type: 'uuid', nullable: true })
  soleLineId: (string & Opt) | null = null;

  @Property({ type: 'text', nullable: true })
  soleLineModifiers: (string & Opt) | null = null;

  /** SPEC §11: authorization.expiring / .expired was written (once each; migration 20261206400000). */
  @Property({ type: 'boolean', default: false })
  expiringAnnounced: boolean & Opt = false;

  @Property({ type: 'boolean', default: false })
  expiredAnnounced: boolean & Opt = false;

  /** Whether it may have caps (each cap's `authorization_caps_capped_fkey` requires it): only then are they read. */
  @Property({ type: 'boolean', default: false })
  capped: boolean & Opt = false;

  /** Whether poolUnits is set: the target of its lines' `authorization_lines_pooled_fkey`. */
  @Property({ type: 'boolean', default: false })
  pooled: boolean & Opt = false;

  @Property({ type: 'integer' })
  linesTotalUnits!: number;

  @Property({ type: 'integer' })
  usedUnits: number & Opt = 0;

  @Property({ type: 'integer' })
  scheduledUnits: number & Opt = 0;

  /** Calendar dates, YYYY-MM-DD. */
  @Property({ type: 'date' })
  startDate!: string;

  @Property({ type: 'date' })
  endDate!: string;

  /**
   * The stored lifecycle status; clients see the effective one (effectiveStatus, authorization-rules.ts). The column
   * has no default: `default: null` keeps MikroORM from inferring `default 'ACTIVE'` from the initializer.
   */
  @Enum({ items: ['PENDING', 'ACTIVE', 'CANCELLED'], nativeEnumName: undefined, type: 'text', default: null })
  status: StoredAuthorizationStatus & Opt = 'ACTIVE';

  @Property({ type: 'text', nullable: true })
  notes: (string & Opt) | null = null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date & Opt = new Date();
}
