import { Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { Organization } from '../organizations/organization.entity';
import { User } from '../users/user.entity';
import { Authorization } from './authorization.entity';

export type ReservationStatus = 'SCHEDULED' | 'CONSUMED' | 'RELEASED' | 'EXPIRED';

/**
 * The `reservations` table as the migrations create it. The foreign keys are mapped as their ids
 * (`mapToPk`): the code reads and writes `authorizationId`, `organizationId`, `createdBy` as strings.
 * Not expressible here: `fillfactor = 90` and the trigger `reservations_guard_transition` (a
 * reservation leaves SCHEDULED once; what it reserved never changes) — see
 * test/entity-schema.e2e-spec.ts. The status check is the enum's `reservations_status_check`.
 */
@Entity({ tableName: 'reservations' })
@Index({ name: 'reservations_authorization_idx', properties: ['authorizationId', 'id'] })
@Check({ name: 'reservations_units_check', expression: 'units >= 1 and units <= 1000000' })
@Check({ name: 'reservations_reference_check', expression: 'char_length(reference) <= 128' })
@Check({ name: 'reservations_consumed_within_units', expression: 'consumed_units >= 0 and consumed_units <= units' })
@Check({ name: 'reservations_consumed_only_when_consumed', expression: "status = 'CONSUMED' or consumed_units = 0" })
export class Reservation {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @ManyToOne(() => Authorization, { mapToPk: true, fieldName: 'authorization_id', foreignKeyName: 'reservations_authorization_id_fkey', updateRule: 'no action', deleteRule: 'no action' })
  authorizationId!: string;

  @ManyToOne(() => Organization, {
    mapToPk: true,
    fieldName: 'organization_id',
    hidden: true,
    foreignKeyName: 'reservations_organization_id_fkey',
    updateRule: 'no action',
    deleteRule: 'no action',
  })
  organizationId!: string;

  /** The authorization line it counts on (no foreign key: see the ledger's reservation_id). */
  @Property({ type: 'uuid' })
  lineId!: string;

  @Property({ type: 'integer' })
  units!: number;

  /** Incremented by each move (a change of units or date while SCHEDULED); the guard trigger requires it. */
  @Property({ type: 'integer', default: 0 })
  revision: number = 0;

  @Property({ type: 'date' })
  serviceDate!: string;

  @Property({ type: 'text', nullable: true })
  reference: string | null = null;

  /** Also filed in `reservation_expiries` while SCHEDULED (ReservationExpiry), which the sweeper reads. */
  @Property({ type: 'timestamptz', nullable: true })
  expiresAt: Date | null = null;

  @Enum({ items: ['SCHEDULED', 'CONSUMED', 'RELEASED', 'EXPIRED'], nativeEnumName: undefined, type: 'text' })
  status!: ReservationStatus;

  @Property({ type: 'integer' })
  consumedUnits: number = 0;

  @ManyToOne(() => User, {
    mapToPk: true,
    fieldName: 'created_by',
    nullable: true,
    foreignKeyName: 'reservations_created_by_fkey',
    updateRule: 'no action',
    deleteRule: 'no action',
  })
  createdBy: string | null = null;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt!: Date;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt!: Date;
}
