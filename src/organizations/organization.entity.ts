import { Check, Entity, Enum, Opt, PrimaryKey, Property } from '@mikro-orm/core';
import { newId } from '../shared/ids';

/** The first day of the weeks a WEEK cap counts in (SPEC §10). */
export const WEEK_STARTS = ['MONDAY', 'SUNDAY'] as const;
export type WeekStart = (typeof WEEK_STARTS)[number];

/**
 * The `organizations` table as the migrations create it (src/database/migrations). The entities
 * describe every table exactly: test/entity-schema.e2e-spec.ts asserts MikroORM's schema diff
 * against a migrated database is empty. Check expressions are written as PostgreSQL reports them.
 * The week_starts_on check is the enum's `organizations_week_starts_on_check`.
 */
@Entity({ tableName: 'organizations' })
@Check({ name: 'organizations_name_check', expression: 'char_length(name) >= 1 and char_length(name) <= 200' })
@Check({ name: 'organizations_time_zone_check', expression: 'char_length(time_zone) >= 1 and char_length(time_zone) <= 64' })
@Check({ name: 'organizations_low_units_percent_check', expression: 'low_units_percent >= 1 and low_units_percent <= 99' })
@Check({ name: 'organizations_expiring_within_days_check', expression: 'expiring_within_days >= 1 and expiring_within_days <= 365' })
export class Organization {
  @PrimaryKey({ type: 'uuid' })
  id: string & Opt = newId();

  @Property({ type: 'text' })
  name!: string;

  @Enum({ items: [...WEEK_STARTS], nativeEnumName: undefined, type: 'text', default: 'MONDAY' })
  weekStartsOn: WeekStart & Opt = 'MONDAY';

  /** An IANA name known to Intl and to PostgreSQL (checked by the service); the organization's "today" is its local date. */
  @Property({ type: 'text', default: 'UTC' })
  timeZone: string & Opt = 'UTC';

  @Property({ type: 'integer', default: 20 })
  lowUnitsPercent: number & Opt = 20;

  @Property({ type: 'integer', default: 30 })
  expiringWithinDays: number & Opt = 30;

  @Property({ type: 'timestamptz', defaultRaw: 'now()' })
  createdAt: Date & Opt = new Date();
}
