import { iso, Sql, SqlFragment } from '../database/database.service';
import { newId } from '../shared/ids';
import { EventType } from './event-types';

// Every SQL string of the `events` table: the outbox of SPEC §11 (migration 20261206200000).
//
// WRITING. Events are written by the transaction that makes the change they describe, never
// after it: `insert(tx, events)` inside a plain transaction, or `eventsPart(events)` as one part
// of the batch write's single WITH statement (like ledgerRepository.ledgerPart). A transaction
// that rolls back (a rejection, a serialization failure that is then retried whole) leaves no
// event; one that commits has all of its events. Nothing here reads the table inside the writer's
// transaction, so the outbox adds no SERIALIZABLE read dependency (no predicate lock) to it.
//
// THE FEED'S ORDER, AND WHY IT SKIPS NOTHING. A position is (xid, seq): `xid` is the writing
// transaction's id (xid8, `pg_current_xact_id()`, the top-level id even inside a savepoint; 64 bits,
// never wraps), `seq` an identity numbering the rows in the order they were inserted, so the
// events of one transaction are contiguous and in write order. The trap of a plain sequence (a
// reader that has read 11 and 12 moves on and never sees 10, which commits after them) exists
// because a position is taken before its transaction commits. The feed therefore returns a row
// only when its xid is below the xmin of the reading statement's own snapshot
// (`pg_snapshot_xmin(pg_current_snapshot())`; pg_current_snapshot() is the active snapshot, the one
// the scan reads with): every transaction with an id below xmin has finished — committed, and so
// visible to that scan, or rolled back, and so without rows. No row can appear later below that
// line: a transaction still running has an id >= xmin, and ids are handed out increasing, so a
// transaction that has not written yet gets a larger one. Hence, between two reads, every new row
// lands after every position the first read could return (its xid is >= the first read's xmin,
// which is above every xid it returned), and a cursor (the last position returned) can never be
// passed by a row committing later. Each page is one statement, so it is one snapshot: the limit
// cuts the list of settled rows, and the rest of them come on the next page. Every event is
// returned exactly once, in (xid, seq) order.
//
// That order is the order in which the writing transactions took their ids (their first write),
// not the instant of COMMIT: of two transactions running at once, the one that wrote first comes
// first even if it commits second (its events wait in the feed until it has committed). It agrees
// with commit order wherever commit order is observable: a transaction that saw another's
// committed change took its id after that commit, so it comes later; and two SERIALIZABLE or
// REPEATABLE READ transactions that change the same row cannot overlap (the second would fail with
// 40001 and be retried with a new id), so the events of one authorization come in the order of its
// changes. (Under READ COMMITTED a writer that took its id, then waited for a row lock, would come
// before the change it waited for: write events from SERIALIZABLE transactions, as the unit of work does.)
//
// THE PRICE: the feed holds back while any transaction that has a transaction id is still
// running — in this database or in another on the same server (xids are server-wide), whether it
// writes events or not. A long-running writing transaction (or one left idle in transaction after
// a write, or a prepared transaction) therefore delays the feed until it ends; nothing is lost, the
// events arrive when it ends. Read-only transactions (no xid) do not hold it back.
//
// COST: each page is one index range scan — `events_organization_position_idx (organization_id,
// xid, seq)` for one organization, `events_position_idx (xid, seq)` for all — bounded below by the
// cursor and above by xmin (computed once per statement, an InitPlan), stopping at the limit. It is
// a plain read in autocommit (READ COMMITTED): no row locks, no predicate locks, never in a writer's
// way. (Run it SERIALIZABLE and its predicate locks on the index would meet every writer's insert.)

/** An event to write; `id` defaults to a new UUID (v7), `occurredAt` to the transaction's time (now()). */
export interface NewEvent {
  id?: string;
  type: EventType;
  organizationId: string;
  /** The object as the API returns it after the change (stored as jsonb). */
  data: unknown;
  /** ISO-8601 instant. */
  occurredAt?: string;
}

/** A position in the feed: the writing transaction's id (xid8 as decimal text) and the row's seq. */
export interface FeedPosition {
  xid: string;
  seq: number;
}

/** Before every event. */
export const FEED_START: FeedPosition = { xid: '0', seq: 0 };

/** An event as the feed reads it. */
export interface EventRow {
  id: string;
  type: EventType;
  organizationId: string;
  /** ISO-8601 UTC text. */
  occurredAt: string;
  data: unknown;
  xid: string;
  seq: number;
}

const UNNEST = 'unnest(?::uuid[], ?::text[], ?::uuid[], ?::timestamptz[], ?::text[]) with ordinality';
/** In array order: seq follows the order of the rows (ordered by ordinality), xid defaults to the transaction's. */
const INSERT = `insert into events (id, type, organization_id, occurred_at, data)
  select i, t, o, coalesce(at, now()), d::jsonb from ${UNNEST} as e (i, t, o, at, d, n) order by n`;

function columns(events: NewEvent[]): unknown[] {
  return [
    events.map((e) => e.id ?? newId()),
    events.map((e) => e.type),
    events.map((e) => e.organizationId),
    events.map((e) => e.occurredAt ?? null),
    events.map((e) => JSON.stringify(e.data)),
  ];
}

const COLUMNS = `e.id, e.type, e.organization_id as "organizationId", ${iso('e.occurred_at')} as "occurredAt", e.data, e.xid::text as xid, e.seq`;

export const eventsRepository = {
  /** Writes the events in one statement, in order, inside the caller's transaction. */
  async insert(tx: Sql, events: NewEvent[]): Promise<void> {
    if (events.length === 0) return;
    await tx.query(INSERT, columns(events), { prepare: true });
  },

  /**
   * The batch write's part for the outbox: `outbox_events as (insert …)`, for one WITH statement
   * beside the counters, reservations and ledger (named apart from the table, which a CTE named
   * `events` would hide from the other parts). With no events it inserts nothing.
   */
  eventsPart(events: NewEvent[]): SqlFragment {
    return { sql: `outbox_events as (${INSERT})`, params: columns(events) };
  },

  /**
   * Up to `limit` settled events after `after`, oldest first, of one organization (or of all with
   * `organizationId` undefined): the order and the exactly-once guarantee are explained above.
   */
  async page(sql: Sql, organizationId: string | undefined, after: FeedPosition, limit: number): Promise<EventRow[]> {
    const scope = organizationId === undefined ? { sql: '', params: [] } : { sql: ' and e.organization_id = ?', params: [organizationId] };
    return sql.query<EventRow>(
      `select ${COLUMNS} from events e
       where (e.xid, e.seq) > (?::xid8, ?::bigint)${scope.sql}
         and e.xid < (select pg_snapshot_xmin(pg_current_snapshot()))
       order by e.xid, e.seq
       limit ?`,
      [after.xid, after.seq, ...scope.params, limit],
      { prepare: true },
    );
  },
};
