import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 11 point 7: deactivating a user (or changing their role) ends every access token issued
 * before it, for good — also after the user is reactivated. Each user carries a counter that the
 * same UPDATE increments when `active` goes true → false or the role changes; a token carries the
 * value it was issued under (claim `gen`) and is refused once the two differ.
 *
 * A counter rather than a `tokens_valid_after` timestamp compared with `iat`: `iat` has a resolution
 * of one second, so a token issued in the same second as the deactivation would be either wrongly
 * refused or wrongly kept, and the comparison would also depend on the clocks of the instance that
 * signed and of the database agreeing. A counter compares exactly.
 */
export class Migration20261202000000_user_token_generation extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table users add column token_generation integer not null default 0 check (token_generation >= 0);`);
  }

  override async down(): Promise<void> {
    this.addSql(`alter table users drop column token_generation;`);
  }
}
