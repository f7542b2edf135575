import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 15 point 6 (SPEC §11 "People's sessions"): refresh tokens, stored hashed.
 *
 * One row per token ever issued. A login starts a family (`family_id`); each refresh marks its
 * token used (`used_at`) and inserts the next one of the same family. A token presented again
 * after it was used is a reuse: the whole family is revoked (`revoked_at`). Only the SHA-256 of
 * the token is kept (the token is 256 random bits: a fast hash suffices, unlike a password), so a
 * copy of the table signs nobody in. `user_token_generation` is the user's token generation when
 * the family began: deactivation and role changes (migration 20261202000000) end refresh tokens
 * exactly as they end access tokens. Rows of a user whose lifetime has passed are deleted at that
 * user's next login or refresh.
 */
export class Migration20261206100000_refresh_tokens extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table refresh_tokens (
        id uuid primary key,
        family_id uuid not null,
        user_id uuid not null constraint refresh_tokens_user_id_fkey references users (id) on update no action on delete cascade,
        token_hash text not null constraint refresh_tokens_token_hash_check check (token_hash ~ '^[0-9a-f]{64}$'),
        user_token_generation integer not null,
        created_at timestamptz not null default now(),
        expires_at timestamptz not null,
        used_at timestamptz,
        revoked_at timestamptz,
        constraint refresh_tokens_token_hash_key unique (token_hash),
        constraint refresh_tokens_expiry_check check (expires_at > created_at)
      );
      create index refresh_tokens_family_idx on refresh_tokens (family_id);
      create index refresh_tokens_user_idx on refresh_tokens (user_id, expires_at);
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists refresh_tokens;`);
  }
}
