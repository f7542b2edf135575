import { Migration } from '@mikro-orm/migrations';

/**
 * SPEC §11 "Events" and "Change feed" (issue 15 points 1 and 2): the outbox. Every change of units
 * or status writes its events into `events` in the same transaction as the change; the change feed
 * (GET /api/v1/events) and, later, webhook delivery read them.
 *
 * The feed's position is (xid, seq), not an id taken from a sequence: `xid` is the writing
 * transaction's id (`pg_current_xact_id()`, 64 bits, never wraps), `seq` orders the events of one
 * transaction. The feed returns only rows whose transaction id is below the xmin of its own
 * snapshot — every transaction that could still add a row at or before such a position has
 * finished — so a reader never steps past an event that commits later (src/events/events.repository.ts
 * explains the guarantee).
 *
 * - `organization_id` has no foreign key, on purpose (like ledger_entries.reservation_id): its
 *   check would lock the organization's row (FOR KEY SHARE) in every unit operation's transaction,
 *   one row shared by all of an organization's concurrent writers (multixacts on a hot row).
 * - `seq` comes from an identity (a sequence): within one transaction the rows of one statement
 *   get increasing values in the order they are written (the insert orders its unnest by ordinality).
 *   Across transactions `seq` says nothing (sequences are not transactional): `xid` orders them.
 * - The indexes serve the feed: one organization's events after a position ((organization_id,
 *   xid, seq)), and every organization's ((xid, seq): a SUPER_ADMIN's feed, and webhook delivery).
 */
export class Migration20261206200000_events extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table events (
        id uuid primary key,
        seq bigint generated always as identity,
        xid xid8 not null default pg_current_xact_id(),
        type text not null check (type in (
          'reservation.created', 'reservation.modified', 'reservation.released', 'reservation.consumed', 'reservation.expired',
          'authorization.created', 'authorization.updated', 'authorization.low_units', 'authorization.exhausted',
          'authorization.expiring', 'authorization.expired', 'webhook_endpoint.disabled')),
        organization_id uuid not null,
        occurred_at timestamptz not null default now(),
        data jsonb not null
      );
      create unique index events_position_idx on events (xid, seq);
      create index events_organization_position_idx on events (organization_id, xid, seq);
    `);
  }

  override async down(): Promise<void> {
    this.addSql('drop table events;');
  }
}
