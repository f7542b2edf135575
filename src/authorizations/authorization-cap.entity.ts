import { Check, Entity, Enum, Index, ManyToOne, Opt, PrimaryKey, Property } from '@mikro-orm/core';
import { AuthorizationLine } from './authorization-line.entity';
import { Authorization } from './authorization.entity';

export type CapPeriod = 'DAY' | 'WEEK' | 'MONTH';
export const CAP_PERIODS: CapPeriod[] = ['DAY', 'WEEK', 'MONTH'];

/**
 * A cap per period on a line, or on the whole authorization (`lineId` null). Its units are held in
 * one `cap_buckets` row per period; the trigger `authorization_caps_guard` lets only `units` change
 * and carries the change to the buckets (not expressible here, see test/entity-schema.e2e-spec.ts).
 */
@Entity({ tableName: 'authorization_caps' })
@Index({ name: 'authorization_caps_authorization_idx', properties: ['authorizationId', 'id'] })
@Check({ name: 'authorization_caps_units_check', expression: 'units >= 1 and units <= 1000000' })
@Check({ name: 'authorization_caps_capped_check', expression: 'capped = true' })
export class AuthorizationCap {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @ManyToOne(() => Authorization, { mapToPk: true, fieldName: 'authorization_id', foreignKeyName: 'authorization_caps_authorization_id_fkey', updateRule: 'no action', deleteRule: 'cascade' })
  authorizationId!: string;

  @ManyToOne(() => AuthorizationLine, { mapToPk: true, fieldName: 'line_id', nullable: true, foreignKeyName: 'authorization_caps_line_id_fkey', updateRule: 'no action', deleteRule: 'cascade' })
  lineId: string | null = null;

  @Enum({ items: CAP_PERIODS, nativeEnumName: undefined, type: 'text' })
  period!: CapPeriod;

  @Property({ type: 'integer' })
  units!: number;

  /**
   * Always true: with `authorization_caps_capped_fkey` (authorization_id, capped) → authorizations
   * (id, capped), not expressible here, a cap exists only on an authorization marked `capped`.
   */
  @Property({ type: 'boolean', default: true })
  capped: boolean & Opt = true;
}
