// What the webhook dispatcher's polls cost does not grow with the outbox: every poll (hasWork,
// dispatch, the outbox_pending_events gauge) reads the events after the dispatch cursor through
// events_position_idx, bounded below by the cursor. Measured with PostgreSQL's own per-transaction
// count of index entries returned (pg_stat_get_xact_tuples_returned), on one connection. The outbox
// is large on purpose: with a few thousand events PostgreSQL may pick a bounded plan for any form of
// these statements; at 200,000 the forms without an order and a limit read every event (this test
// then fails with them).
import { Client } from 'pg';
import { Database, Sql, statement } from '../src/database/database.service';
import { webhookDeliveryRepository } from '../src/webhooks/webhook-delivery.repository';
import { startTestApp, TestApp } from './helpers/test-app';

const OUTBOX = 200_000;
const AFTER_CURSOR = 3;

/** `sql` on one client, so that the statistics of its open transaction are the statements' own. */
const sqlOn = (client: Client): Sql => ({
  async query<T>(text: string, params: unknown[] = []) {
    return (await client.query({ ...statement(text, false), values: params })).rows as T[];
  },
});

describe('The webhook dispatcher reads only what is after its cursor', () => {
  let t: TestApp;
  let client: Client;

  beforeAll(async () => {
    t = await startTestApp({ WEBHOOK_POLL_INTERVAL_MS: '86400000' });
    client = new Client({ connectionString: t.databaseUrl });
    await client.connect();
    const [{ id: org }] = (await t.sql.query<{ id: string }>(`insert into organizations (id, name) values (gen_random_uuid(), 'Outbox reads') returning id`)).rows;
    // The outbox: OUTBOX events of earlier transactions (their xids spread below this one's, as if
    // each of many transactions had written some) before the cursor, then AFTER_CURSOR after it.
    await t.sql.query(
      `insert into events (id, type, organization_id, data, xid)
       select gen_random_uuid(), 'authorization.created', $1, '{}'::jsonb, (3 + g % (pg_current_xact_id()::text::bigint - 3))::text::xid8
       from generate_series(1, $2) g`,
      [org, OUTBOX],
    );
    await t.sql.query('update webhook_dispatch_cursor set xid = e.xid, seq = e.seq from (select xid, seq from events order by xid desc, seq desc limit 1) e where id = 1');
    for (let i = 0; i < AFTER_CURSOR; i++) {
      await t.sql.query(`insert into events (id, type, organization_id, data) values (gen_random_uuid(), 'authorization.created', $1, '{}'::jsonb)`, [org]);
    }
    await t.sql.query('analyze events');
  });

  afterAll(async () => {
    await client?.end();
    await t?.close();
  });

  /** Index entries of events_position_idx that `work` read, in a transaction rolled back after. */
  async function positionEntriesRead(work: (sql: Sql) => Promise<unknown>): Promise<number> {
    const read = async () => (await client.query<{ n: string }>(`select pg_stat_get_xact_tuples_returned('events_position_idx'::regclass) as n`)).rows[0].n;
    await client.query('begin');
    try {
      const before = Number(await read());
      await work(sqlOn(client));
      return Number(await read()) - before;
    } finally {
      await client.query('rollback');
    }
  }

  it(`hasWork, dispatch and the pending gauge each read the ${AFTER_CURSOR} events after the cursor, not the ${OUTBOX.toLocaleString('en-US')} before it`, async () => {
    const repository = webhookDeliveryRepository;
    expect(await positionEntriesRead((sql) => repository.hasWork(sql, 500))).toBeLessThanOrEqual(AFTER_CURSOR);
    expect(await positionEntriesRead((sql) => repository.pendingEvents(sql))).toBeLessThanOrEqual(AFTER_CURSOR);
    expect(await positionEntriesRead((sql) => repository.dispatch(sql, new Date(), 500))).toBeLessThanOrEqual(AFTER_CURSOR);
    // And what they answer: 3 settled events after the cursor, nobody subscribed: no work below the backlog.
    expect(await repository.hasWork(t.app.get(Database), 500)).toBe(false);
    expect(await repository.hasWork(t.app.get(Database), AFTER_CURSOR)).toBe(true);
    expect(await repository.dispatch(t.app.get(Database), new Date(), 500)).toEqual({ events: AFTER_CURSOR, deliveries: 0 });
  });
});
