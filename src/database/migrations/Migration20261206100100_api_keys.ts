import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 15 point 5 (SPEC §11 "Machine clients"): API keys of an organization.
 *
 * Only the SHA-256 of a key is kept (`ul_` + 256 random bits: a fast hash suffices, unlike a
 * password); the key itself is shown once, at creation. A key acts with `role` in
 * `organization_id`, never SUPER_ADMIN. `created_by` and `creator_token_generation` tie the key to
 * the person who made it: once that user is deactivated or their role changes (their token
 * generation moves, migration 20261202000000) the key stops working, like their own tokens.
 * DELETE removes the row: every request looks its key up here, so a deleted key is refused at once
 * on every instance. `last_used_at` is written at most about once a minute per key.
 */
export class Migration20261206100100_api_keys extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table api_keys (
        id uuid primary key,
        organization_id uuid not null constraint api_keys_organization_id_fkey references organizations (id) on update no action on delete no action,
        name text not null constraint api_keys_name_check check (char_length(name) >= 1 and char_length(name) <= 100),
        role text not null constraint api_keys_role_check check (role in ('ADMIN', 'PRACTITIONER', 'VIEWER')),
        key_hash text not null constraint api_keys_key_hash_check check (key_hash ~ '^[0-9a-f]{64}$'),
        created_by uuid not null constraint api_keys_created_by_fkey references users (id) on update no action on delete cascade,
        creator_token_generation integer not null,
        created_at timestamptz not null default now(),
        last_used_at timestamptz,
        constraint api_keys_key_hash_key unique (key_hash)
      );
      create index api_keys_organization_idx on api_keys (organization_id, id);
      create index api_keys_created_by_idx on api_keys (created_by);
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists api_keys;`);
  }
}
