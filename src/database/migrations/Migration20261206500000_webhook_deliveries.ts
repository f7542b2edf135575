import { Migration } from '@mikro-orm/migrations';

/**
 * Issue 15 point 3 (SPEC §11 "Webhooks"): webhook delivery.
 *
 * `webhook_dispatch_cursor` (one row): how far the dispatcher has fanned the outbox out, as a feed
 * position (xid, seq) — see src/events/events.repository.ts for why such a position never skips an
 * event. One dispatcher pass locks the row (FOR UPDATE SKIP LOCKED: one instance at a time), reads
 * the settled events after it, inserts their deliveries and moves it, in one statement.
 *
 * `webhook_deliveries`: one row per (endpoint, event), unique, so an event reaches an endpoint's
 * queue exactly once whatever the dispatchers do. A worker claims due rows (FOR UPDATE SKIP LOCKED)
 * by counting the attempt and taking a lease (`lease_until`), commits, then POSTs: an attempt
 * belongs to the instance whose claim counted it (`attempts` is the fencing number its result is
 * written under); a crashed instance's lease runs out and another instance tries again.
 * `event_id` has no foreign key (like the events' own organization_id: no lock on the outbox row);
 * `organization_id` and `event_type` are copied for the delivery log.
 */
export class Migration20261206500000_webhook_deliveries extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table webhook_dispatch_cursor (
        id smallint primary key constraint webhook_dispatch_cursor_id_check check (id = 1),
        xid xid8 not null,
        seq bigint not null,
        updated_at timestamptz not null default now()
      );
      insert into webhook_dispatch_cursor (id, xid, seq) values (1, '0', 0);

      create table webhook_deliveries (
        id bigint generated always as identity primary key,
        endpoint_id uuid not null constraint webhook_deliveries_endpoint_id_fkey references webhook_endpoints (id) on update no action on delete cascade,
        event_id uuid not null,
        organization_id uuid not null,
        event_type text not null,
        status text not null default 'PENDING' constraint webhook_deliveries_status_check check (status in ('PENDING', 'DELIVERED', 'FAILED')),
        attempts int not null default 0 constraint webhook_deliveries_attempts_check check (attempts >= 0),
        next_attempt_at timestamptz not null,
        lease_until timestamptz null,
        last_attempt_at timestamptz null,
        last_status_code int null,
        last_error text null,
        delivered_at timestamptz null,
        created_at timestamptz not null default now()
      );
      create unique index webhook_deliveries_endpoint_event_idx on webhook_deliveries (endpoint_id, event_id);
      create index webhook_deliveries_endpoint_log_idx on webhook_deliveries (endpoint_id, id);
      create index webhook_deliveries_due_idx on webhook_deliveries (status, next_attempt_at);
    `);
  }

  override async down(): Promise<void> {
    this.addSql('drop table if exists webhook_deliveries; drop table if exists webhook_dispatch_cursor;');
  }
}
