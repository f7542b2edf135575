import { Check, Entity, ManyToOne, Opt, PrimaryKey, Property } from '@mikro-orm/core';
import { AuthorizationCap, CapPeriod } from './authorization-cap.entity';

/**
 * What one cap holds in one period (SPEC §10): the CHECKs are the cap's limit for that bucket.
 * `authorizationId`, `period`, `periodEnd` and `capUnits` are copies of the cap's, so the CHECKs
 * stay row-local; the trigger `cap_buckets_match_cap` keeps them equal to the cap (not expressible
 * here, nor `fillfactor = 50`: see test/entity-schema.e2e-spec.ts).
 */
@Entity({ tableName: 'cap_buckets' })
@Check({ name: 'cap_buckets_nonnegative', expression: 'used_units >= 0 and scheduled_units >= 0' })
@Check({ name: 'cap_buckets_within_cap', expression: 'used_units + scheduled_units <= cap_units' })
@Check({
  name: 'cap_buckets_shape',
  expression:
    "period = 'DAY' and period_end = period_start or period = 'WEEK' and period_end = (period_start + 6) and (EXTRACT(dow FROM period_start) = ANY (ARRAY[0::numeric, 1::numeric])) or period = 'MONTH' and EXTRACT(day FROM period_start) = 1::numeric and period_end = (period_start + '1 mon -1 days'::interval)::date",
})
export class CapBucket {
  @ManyToOne(() => AuthorizationCap, { primary: true, mapToPk: true, fieldName: 'cap_id', foreignKeyName: 'cap_buckets_cap_id_fkey', updateRule: 'no action', deleteRule: 'cascade' })
  capId!: string;

  @PrimaryKey({ type: 'date' })
  periodStart!: string;

  @Property({ type: 'uuid' })
  authorizationId!: string;

  /** Checked by `cap_buckets_shape` (with the dates), not by an enum check of its own. */
  @Property({ type: 'text' })
  period!: CapPeriod;

  @Property({ type: 'date' })
  periodEnd!: string;

  @Property({ type: 'integer' })
  capUnits!: number;

  @Property({ type: 'integer', default: 0 })
  usedUnits: number & Opt = 0;

  @Property({ type: 'integer', default: 0 })
  scheduledUnits: number & Opt = 0;
}
