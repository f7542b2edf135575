import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 14 point 6 (SPEC §10 "Organization settings", §11): per-organization settings.
 *
 * - `week_starts_on`: the first day of the weeks a WEEK cap counts in (MONDAY or SUNDAY).
 * - `time_zone`: an IANA name; the organization's "today" is its local date. Whether the name is
 *   one both Intl and PostgreSQL know is checked by the service (pg_timezone_names changes with the
 *   server's tzdata, which a CHECK must not depend on); the column only bounds the length.
 * - `low_units_percent`: `authorization.low_units` fires when available ÷ total falls to it or below.
 * - `expiring_within_days`: `authorization.expiring` fires this many days before `endDate`.
 *
 * Every existing organization gets the defaults, which are today's behaviour (UTC, weeks from Monday).
 */
export class Migration20261203000000_organization_settings extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table organizations
        add column week_starts_on text not null default 'MONDAY'
          constraint organizations_week_starts_on_check check (week_starts_on in ('MONDAY', 'SUNDAY')),
        add column time_zone text not null default 'UTC'
          constraint organizations_time_zone_check check (char_length(time_zone) >= 1 and char_length(time_zone) <= 64),
        add column low_units_percent integer not null default 20
          constraint organizations_low_units_percent_check check (low_units_percent >= 1 and low_units_percent <= 99),
        add column expiring_within_days integer not null default 30
          constraint organizations_expiring_within_days_check check (expiring_within_days >= 1 and expiring_within_days <= 365);
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      alter table organizations
        drop column week_starts_on,
        drop column time_zone,
        drop column low_units_percent,
        drop column expiring_within_days;
    `);
  }
}
