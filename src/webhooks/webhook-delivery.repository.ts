import { iso, Sql } from '../database/database.service';
import { DeliveryStatus } from './webhook-delivery.entity';

// Every SQL string of webhook_deliveries and webhook_dispatch_cursor (migration 20261206500000).
// Each statement here runs alone, in autocommit (READ COMMITTED): a claim is committed before its
// POST begins, and no transaction is ever held open over a network call. Times come from the
// engine's clock (WebhookClock) as parameters, so that tests can move it.

/** The feed's rule (src/events/events.repository.ts): only events of transactions below this statement's xmin. */
const SETTLED = 'e.xid < (select pg_snapshot_xmin(pg_current_snapshot()))';

/**
 * The first `?` events after the dispatch cursor, in (xid, seq) order: read through
 * events_position_idx from the cursor on, whatever the statistics say. Every read of the outbox
 * here is bounded this way. Without the order and the limit, the cursor's position is unknown when
 * the statement is planned (or, without statistics, a third of the outbox is assumed to follow
 * it), and each poll read the whole outbox (measured: 80–180 ms a poll at 330,000–540,000 events,
 * every second, on every instance).
 */
const nextEvents = (settled: boolean) => `select e.organization_id, e.type, e.occurred_at from events e
  where (e.xid, e.seq) > (select xid, seq from webhook_dispatch_cursor where id = 1)${settled ? ` and ${SETTLED}` : ''}
  order by e.xid, e.seq limit ?`;

/** outbox_pending_events counts this many events after the cursor at most. */
const PENDING_COUNT_LIMIT = 10_000;

/** A claimed attempt: the delivery, its endpoint and its event. */
export interface ClaimedDelivery {
  id: number;
  /** This attempt's number (1 for the first): the fencing number its result is written under. */
  attempt: number;
  endpointId: string;
  url: string;
  secret: string;
  /** ISO-8601 UTC text: start of the endpoint's current run of failures. */
  failingSince: string | null;
  eventId: string;
  eventType: string;
  organizationId: string;
  /** ISO-8601 UTC text. */
  occurredAt: string;
  data: unknown;
}

export interface DeliveryLogRow {
  id: number;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  lastAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  deliveredAt: string | null;
  createdAt: string;
}

export const webhookDeliveryRepository = {
  /**
   * Whether a dispatch statement has work (a plain read: takes no transaction id): a settled event
   * after the cursor that some endpoint subscribes to (enabled or not: a disabled one's events are
   * passed at once, so that enabling it later does not bring them back), or `backlog` settled events (which
   * then only move the cursor, so that the next reads stay short). Otherwise the dispatcher leaves
   * the cursor where it is and writes nothing: an instance polling every second does not take a
   * transaction id (which would hold back every change-feed reader's xmin for its duration) for
   * events nobody is subscribed to.
   */
  async hasWork(sql: Sql, backlog: number): Promise<boolean> {
    const [row] = await sql.query<{ due: boolean }>(
      `with next as (${nextEvents(true)})
       select (select count(*) from next) >= ?
         or exists (select 1 from next e where exists (select 1 from webhook_endpoints w
                      where w.organization_id = e.organization_id and e.type = any (w.event_types) and w.created_at <= e.occurred_at)) as due`,
      [backlog, backlog],
      { prepare: true },
    );
    return row.due;
  },

  /**
   * outbox_pending_events: committed events after the cursor that an enabled endpoint subscribes
   * to — waiting to be fanned out, settled or still held back by an older open transaction — among
   * the next PENDING_COUNT_LIMIT. (Events nobody subscribes to need no fan-out; the cursor passes
   * them in bulk, see hasWork.)
   */
  async pendingEvents(sql: Sql): Promise<number> {
    const [row] = await sql.query<{ n: number }>(
      `select count(*)::int as n from (${nextEvents(false)}) e
       where exists (select 1 from webhook_endpoints w
                     where w.organization_id = e.organization_id and w.enabled and e.type = any (w.event_types) and w.created_at <= e.occurred_at)`,
      [PENDING_COUNT_LIMIT],
      { prepare: true },
    );
    return row.n;
  },

  /**
   * One dispatcher pass, one statement (so one transaction): lock the cursor unless another
   * instance holds it, read up to `limit` settled events after it, insert one delivery per enabled
   * endpoint of the event's organization subscribed to its type (registered before the event; a
   * delivery that exists already is left alone), and move the cursor to the last event read.
   * Returns how many events were read (0 too when the cursor was taken) and deliveries made.
   */
  async dispatch(sql: Sql, now: Date, limit: number): Promise<{ events: number; deliveries: number }> {
    const [row] = await sql.query<{ events: number; deliveries: number }>(
      `with c as (select xid, seq from webhook_dispatch_cursor where id = 1 for update skip locked),
       ev as (
         select e.id, e.type, e.organization_id, e.occurred_at, e.xid, e.seq from events e
         where (e.xid, e.seq) > (select xid, seq from c) and ${SETTLED}
         order by e.xid, e.seq limit ?),
       made as (
         insert into webhook_deliveries (endpoint_id, event_id, organization_id, event_type, next_attempt_at)
         select w.id, ev.id, ev.organization_id, ev.type, ?::timestamptz
         from ev join webhook_endpoints w
           on w.organization_id = ev.organization_id and w.enabled and ev.type = any (w.event_types) and w.created_at <= ev.occurred_at
         order by ev.xid, ev.seq, w.id
         on conflict (endpoint_id, event_id) do nothing
         returning 1),
       last as (select xid, seq from ev order by xid desc, seq desc limit 1),
       moved as (
         update webhook_dispatch_cursor set xid = last.xid, seq = last.seq, updated_at = now() from last where id = 1 returning 1)
       select (select count(*)::int from ev) as events, (select count(*)::int from made) as deliveries, (select count(*)::int from moved) as moved`,
      [limit, now],
    );
    return { events: row.events, deliveries: row.deliveries };
  },

  /**
   * Claims up to `limit` due deliveries for this instance, committed on return: counts the attempt,
   * takes a lease until `leaseUntil` (rows another instance is claiming are skipped, rows under a
   * live lease are not due). Returns them with their endpoint and event.
   */
  claim(sql: Sql, now: Date, leaseUntil: Date, limit: number): Promise<ClaimedDelivery[]> {
    return sql.query<ClaimedDelivery>(
      `with claimed as (
         update webhook_deliveries d set attempts = d.attempts + 1, lease_until = ?::timestamptz, last_attempt_at = ?::timestamptz
         where d.id in (
           select id from webhook_deliveries
           where status = 'PENDING' and next_attempt_at <= ?::timestamptz and (lease_until is null or lease_until < ?::timestamptz)
             and exists (select 1 from webhook_endpoints w where w.id = endpoint_id and w.enabled)
           order by next_attempt_at, id limit ?
           for update skip locked)
         returning d.id, d.attempts, d.endpoint_id, d.event_id)
       select c.id, c.attempts as attempt, c.endpoint_id as "endpointId", w.url, w.secret, ${iso('w.failing_since')} as "failingSince",
         e.id as "eventId", e.type as "eventType", e.organization_id as "organizationId", ${iso('e.occurred_at')} as "occurredAt", e.data
       from claimed c join webhook_endpoints w on w.id = c.endpoint_id join events e on e.id = c.event_id
       order by c.id`,
      [leaseUntil, now, now, now, limit],
    );
  },

  /**
   * The attempt succeeded: DELIVERED, and the endpoint's failure record cleared. Only while the
   * attempt is still the delivery's latest (another instance may have retried after the lease ran
   * out): returns false when it no longer is.
   */
  async delivered(sql: Sql, d: ClaimedDelivery, now: Date, status: number): Promise<boolean> {
    const [row] = await sql.query<{ n: number }>(
      `with done as (
         update webhook_deliveries set status = 'DELIVERED', delivered_at = ?::timestamptz, lease_until = null, last_status_code = ?, last_error = null
         where id = ? and attempts = ? and status = 'PENDING' returning endpoint_id),
       cleared as (
         update webhook_endpoints w set failing_since = null where w.id in (select endpoint_id from done) and w.failing_since is not null returning 1)
       select count(*)::int as n from done`,
      [now, status, d.id, d.attempt],
    );
    return row.n > 0;
  },

  /**
   * The attempt failed: retry at `retryAt`, or FAILED (retryAt null); the endpoint's run of failures
   * starts now unless it had started. Fenced like delivered(): false when the attempt was no longer
   * the delivery's latest.
   */
  async failed(sql: Sql, d: ClaimedDelivery, now: Date, result: { status: number | null; error: string | null }, retryAt: Date | null): Promise<boolean> {
    const [row] = await sql.query<{ n: number }>(
      `with done as (
         update webhook_deliveries set
           status = case when ?::timestamptz is null then 'FAILED' else 'PENDING' end,
           next_attempt_at = coalesce(?::timestamptz, next_attempt_at),
           lease_until = null, last_status_code = ?, last_error = ?
         where id = ? and attempts = ? and status = 'PENDING' returning endpoint_id),
       marked as (
         update webhook_endpoints w set failing_since = ?::timestamptz where w.id in (select endpoint_id from done) and w.failing_since is null returning 1)
       select count(*)::int as n from done`,
      [retryAt, retryAt, result.status, result.error, d.id, d.attempt, now],
    );
    return row.n > 0;
  },

  /**
   * Inside the caller's transaction: the delivery FAILED and its endpoint disabled (with its other
   * pending deliveries FAILED too). Returns false when the attempt was no longer the delivery's
   * latest (nothing changed), else the endpoint as it now is (undefined when it was disabled already).
   */
  async disable(tx: Sql, d: ClaimedDelivery, result: { status: number | null; error: string | null }, reason: string): Promise<false | Record<string, unknown> | undefined> {
    const done = await tx.query(
      `update webhook_deliveries set status = 'FAILED', lease_until = null, last_status_code = ?, last_error = ?
       where id = ? and attempts = ? and status = 'PENDING' returning id`,
      [result.status, result.error, d.id, d.attempt],
    );
    if (done.length === 0) return false;
    const [endpoint] = await tx.query<Record<string, unknown>>(
      `update webhook_endpoints set enabled = false, disabled_reason = ?, updated_at = now() where id = ? and enabled
       returning id, organization_id as "organizationId", url, event_types as "events", description, enabled,
         ${iso('failing_since')} as "failingSince", disabled_reason as "disabledReason", ${iso('created_at')} as "createdAt", ${iso('updated_at')} as "updatedAt"`,
      [reason, d.endpointId],
    );
    if (!endpoint) return undefined;
    await tx.query(
      `update webhook_deliveries set status = 'FAILED', last_error = coalesce(last_error, 'endpoint disabled') where endpoint_id = ? and status = 'PENDING'`,
      [d.endpointId],
    );
    return endpoint;
  },

  /** One endpoint's deliveries after `afterId`, oldest first (limit + 1 rows, for toPage). */
  page(sql: Sql, endpointId: string, afterId: number, limit: number): Promise<DeliveryLogRow[]> {
    return sql.query<DeliveryLogRow>(
      `select id, event_id as "eventId", event_type as "eventType", status, attempts,
         ${iso('last_attempt_at')} as "lastAttemptAt", last_status_code as "lastStatusCode", last_error as "lastError",
         case when status = 'PENDING' then ${iso('next_attempt_at')} end as "nextAttemptAt",
         ${iso('delivered_at')} as "deliveredAt", ${iso('created_at')} as "createdAt"
       from webhook_deliveries where endpoint_id = ? and id > ? order by id limit ?`,
      [endpointId, afterId, limit + 1],
    );
  },
};
