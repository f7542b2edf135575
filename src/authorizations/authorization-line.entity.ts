import { Check, Entity, Index, ManyToOne, Opt, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { Authorization } from './authorization.entity';

/**
 * One service code (and modifier set) of an authorization, with its own total and counters (SPEC
 * §10). The CHECKs are the line's limit (a sole line's is its authorization's: `soleOf`); the constraint trigger `authorization_lines_sum` keeps the
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
@Check({
  name: 'authorization_lines_counted_once',
  expression: '((used_units IS NULL) = (scheduled_units IS NULL)) AND ((used_units IS NULL) = (sole_of IS NOT NULL)) AND ((sole_of IS NULL) OR ((sole_of = authorization_id) AND (NOT pooled)))',
})
@Unique({ name: 'authorization_lines_sole_id_key', properties: ['id', 'soleOf', 'serviceCode', 'modifiers', 'totalUnits'] })
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

  /** Null for a sole line (`soleOf` set): its units are counted on its authorization's row. */
  @Property({ type: 'integer', default: 0, nullable: true })
  usedUnits: (number & Opt) | null = 0;

  @Property({ type: 'integer', default: 0, nullable: true })
  scheduledUnits: (number & Opt) | null = 0;

  /**
   * Set (to its authorization's id) when this is the only line of an authorization without a pool:
   * its limit is then the authorization's own, so its units are counted there alone (one counter
   * row on the hot path). Foreign key `authorization_lines_sole_of_fkey` (sole_of, id) →
   * authorizations (id, sole_line_id), not expressible here (migration 20261206000000).
   */
  @Property({ type: 'uuid', nullable: true })
  soleOf: (string & Opt) | null = null;

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
