import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 15 point 3 (SPEC §11 "Webhooks"): the endpoints an organization registers.
 *
 * `secret` is the signing secret (`whsec_` + 256 random bits) kept as given, not hashed: every
 * delivery signs with it (HMAC-SHA256), so the service must be able to read it back — a one-way
 * hash cannot sign. It is shown once (POST's answer), never by GET, and never logged. Encrypting
 * it under a key from the environment would protect it only against a leak of the database alone
 * (a backup, a replica) while the key sits beside DATABASE_URL; that is a later step (with key
 * rotation), noted in the report. A leaked secret lets someone forge deliveries to that one
 * endpoint; the ADMIN rotates it by deleting and registering the endpoint again.
 *
 * `event_types`: the subscribed SPEC §11 types (checked by the API against the list in
 * src/webhooks/webhook-event-types.ts; not here, so that a new type needs no migration).
 * `failing_since`: start of the endpoint's current run of failed deliveries (null while it
 * succeeds); 24 h of it disables the endpoint (`enabled` false, `disabled_reason` set).
 */
export class Migration20261206300000_webhooks extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table webhook_endpoints (
        id uuid primary key,
        organization_id uuid not null constraint webhook_endpoints_organization_id_fkey references organizations (id) on update no action on delete no action,
        url text not null constraint webhook_endpoints_url_check check (char_length(url) >= 1 and char_length(url) <= 2048),
        event_types text[] not null constraint webhook_endpoints_event_types_check check (cardinality(event_types) >= 1),
        description text null constraint webhook_endpoints_description_check check (char_length(description) >= 1 and char_length(description) <= 500),
        enabled boolean not null default true,
        secret text not null constraint webhook_endpoints_secret_check check (char_length(secret) >= 32),
        failing_since timestamptz null,
        disabled_reason text null constraint webhook_endpoints_disabled_reason_check check (char_length(disabled_reason) <= 500),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );
      create index webhook_endpoints_organization_idx on webhook_endpoints (organization_id, id);
    `);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists webhook_endpoints;`);
  }
}
