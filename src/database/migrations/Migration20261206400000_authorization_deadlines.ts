import { Migration } from '@mikro-orm/migrations';

/**
 * SPEC §11 `authorization.expiring` and `authorization.expired`, once each per authorization: the
 * sweep marks an authorization when it writes the event, in the same transaction, so that a later
 * sweep (of any instance) finds nothing left to say. The partial index keeps the sweep's search to
 * ACTIVE authorizations not yet announced as expired, by end date.
 */
export class Migration20261206400000_authorization_deadlines extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      alter table authorizations
        add column expiring_announced boolean not null default false,
        add column expired_announced boolean not null default false;
      create index authorizations_deadline_idx on authorizations (end_date) where status = 'ACTIVE' and not expired_announced;
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`
      drop index authorizations_deadline_idx;
      alter table authorizations drop column expiring_announced, drop column expired_announced;
    `);
  }
}
