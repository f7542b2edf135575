import { Check, Entity, Index, ManyToOne, Opt, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Authorization } from './authorization.entity';

/**
 * One service code (and modifier set) of an authorization, with its own total and counters (SPEC
 * §10). The CHECKs are the line's limit; the constraint trigger `authorization_lines_sum` keeps the
 * authorization's counters equal to the sums over its lines, and `fillfactor = 50` leaves room for
 * HOT updates — neither expressible here (see test/entity-schema.e2e-spec.ts).
 */
@Entity({ tableName: 'authorization_lines' })
@Unique({ name: 'authorization_lines_code_key', properties: ['authorizationId', 'serviceCode', 'modifiers'] })
@Index({ name: 'authorization_lines_code_idx', properties: ['organizationId', 'serviceCode', 'authorizationId'] })
@Check({ name: 'authorization_lines_service_code_check', expression: "service_code ~ '^[A-Z0-9]{4,8}$'" })
@Check({ name: 'authorization_lines_modifiers_check', expression: "modifiers ~ '^([A-Z0-9]{2}(,[A-Z0-9]{2}){0,3})?$'" })
@Check({ name: 'authorization_lines_total_units_check', expression: 'total_units >= 1 and total_units <= 1000000' })
@Check({ name: 'authorization_lines_nonnegative', expression: 'used_units >= 0 and scheduled_units >= 0' })
@Check({ name: 'authorization_lines_no_overbooking', expression: 'used_units + scheduled_units <= total_units' })
export class AuthorizationLine {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @ManyToOne(() => Authorization, { mapToPk: true, fieldName: 'authorization_id', foreignKeyName: 'authorization_lines_authorization_id_fkey', updateRule: 'no action', deleteRule: 'cascade' })
  authorizationId!: string;

  /** A copy of the authorization's (no foreign key): the code index is per organization. */
  @Property({ type: 'uuid' })
  organizationId!: string;

  @Property({ type: 'text' })
  serviceCode!: string;

  /** Sorted, distinct, comma-joined ('' for none); shown as an array. */
  @Property({ type: 'text', default: '' })
  modifiers: string & Opt = '';

  @Property({ type: 'integer' })
  totalUnits!: number;

  @Property({ type: 'integer', default: 0 })
  usedUnits: number & Opt = 0;

  @Property({ type: 'integer', default: 0 })
  scheduledUnits: number & Opt = 0;

  /**
   * Its authorization's `pooled`, kept equal by the foreign key `authorization_lines_pooled_fkey`
   * (authorization_id, pooled) → authorizations (id, pooled), which an entity cannot declare next to
   * `authorizationId`: only a pooled line runs the sum check (`authorization_lines_sum`).
   */
  @Property({ type: 'boolean', default: false })
  pooled: boolean & Opt = false;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  updatedAt: Date & Opt = new Date();
}
