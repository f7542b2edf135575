import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { Database, Sql, statement } from '../src/database/database.service';
import { EVENT_TYPES } from '../src/events/event-types';
import { eventsRepository, FEED_START, NewEvent } from '../src/events/events.repository';
import { encodeFeedCursor } from '../src/events/events.service';
import { closeLockClients, lockClient, waitUntil } from './helpers/lock-gates';
import { expectError } from './helpers/routes';
import { startTestApp, TestApp } from './helpers/test-app';
import { createOrg, OrgWorld, rootToken } from './helpers/world';

/**
 * SPEC §11 "Events" and "Change feed" (issue 15 points 1 and 2): the outbox is written inside the
 * writer's transaction (rolled back: no event; committed: all of them), and GET /api/v1/events
 * returns every committed event exactly once, oldest first — also when a transaction that took
 * its position first commits after others. Interleavings are forced with separate PostgreSQL
 * connections, each step awaited; nothing waits on a timer.
 */

let t: TestApp;
let superToken: string;
let A: OrgWorld;
let B: OrgWorld;

/** Plain SQL (`?` placeholders) on a raw connection, as the service's Database gives it. */
const sqlOn = (client: Client): Sql => ({
  async query<T>(text: string, params: unknown[] = []) {
    return (await client.query({ ...statement(text, false), values: params })).rows as T[];
  },
});

const event = (organizationId: string, n: number | string, type: NewEvent['type'] = 'reservation.created'): NewEvent & { id: string } => ({
  id: randomUUID(),
  type,
  organizationId,
  data: { n, nested: { quote: `it's "${n}"`, list: [1, 2, 3] } },
});

interface Item {
  id: string;
  type: string;
  organizationId: string;
  occurredAt: string;
  data: Record<string, unknown>;
}

async function page(token: string, after?: string, limit?: number): Promise<{ items: Item[]; nextCursor: string }> {
  const query = new URLSearchParams();
  if (after !== undefined) query.set('after', after);
  if (limit !== undefined) query.set('limit', String(limit));
  const res = await t.request('GET', `/api/v1/events${query.size ? `?${query}` : ''}`, { token });
  if (res.status !== 200) throw new Error(`GET /events → ${res.status} ${res.text}`);
  return res.body;
}

/** Follows the feed until a page comes back short (caught up for now). */
async function follow(token: string, after: string | undefined, limit = 100): Promise<{ items: Item[]; cursor: string | undefined; pages: number }> {
  const items: Item[] = [];
  let cursor = after;
  let pages = 0;
  for (;;) {
    const p = await page(token, cursor, limit);
    pages++;
    items.push(...p.items);
    cursor = p.nextCursor;
    if (p.items.length < limit) return { items, cursor, pages };
  }
}

/** Follows the feed until `ids` have all arrived (the feed may be held back by transactions still open). */
async function followUntil(token: string, after: string | undefined, ids: string[], limit = 100) {
  const items: Item[] = [];
  let cursor = after;
  await waitUntil(`the feed has ${ids.length} events`, async () => {
    const p = await follow(token, cursor, limit);
    items.push(...p.items);
    cursor = p.cursor;
    const seen = new Set(items.map((i) => i.id));
    return ids.every((id) => seen.has(id));
  });
  return { items, cursor };
}

const positions = async (ids: string[]) =>
  (await t.sql.query('select id, xid::text as xid, seq from events where id = any($1::uuid[])', [ids])).rows as { id: string; xid: string; seq: number }[];

beforeAll(async () => {
  t = await startTestApp();
  superToken = await rootToken(t.request);
  A = await createOrg(t.request, superToken);
  B = await createOrg(t.request, superToken);
});

afterEach(() => closeLockClients());
afterAll(() => t.close());

describe('the trap: a transaction that took its position first and commits last is not skipped', () => {
  it('A inserts E1 and stays open; B inserts E2, E3 and commits; the reader gets nothing past A; A commits; the reader gets E1, E2, E3 once each', async () => {
    const start = (await follow(A.tokens.VIEWER, undefined)).cursor;
    const a = await lockClient(t.databaseUrl);
    const b = await lockClient(t.databaseUrl);
    const [e1, e2, e3] = [event(A.id, 1), event(A.id, 2), event(A.id, 3)];

    // A takes its position first (its transaction id and E1's seq), and does not commit.
    await a.query('begin');
    await eventsRepository.insert(sqlOn(a), [e1]);
    const e1Position = (await a.query('select xid::text as xid, seq from events where id = $1', [e1.id])).rows[0];
    // B comes after, and commits first.
    await b.query('begin');
    await eventsRepository.insert(sqlOn(b), [e2, e3]);
    await b.query('commit');
    const [p2, p3] = (await positions([e2.id, e3.id])).sort((x, y) => x.seq - y.seq);
    expect(BigInt(e1Position.xid)).toBeLessThan(BigInt(p2.xid));
    expect(p2.xid).toBe(p3.xid);
    expect([e1Position.seq < p2.seq, p2.seq < p3.seq]).toEqual([true, true]);

    // The classic trap, shown on the table: a reader of `seq > cursor` sees E2 and E3 now, moves its
    // cursor to E3's seq, and after A's commit finds nothing past it: E1 would be lost.
    const naive = (await t.sql.query('select id from events where organization_id = $1 and seq > $2 order by seq', [A.id, e1Position.seq - 1])).rows.map((r) => r.id);
    expect(naive).toEqual([e2.id, e3.id]);

    // The feed returns none of the three while A is open (E2 and E3 are after E1's position).
    const held = await page(A.tokens.VIEWER, start);
    expect(held.items.map((i) => i.id).filter((id) => [e1.id, e2.id, e3.id].includes(id))).toEqual([]);
    expect(held.items).toEqual([]);

    await a.query('commit');
    const naiveAfter = (await t.sql.query('select id from events where organization_id = $1 and seq > $2 order by seq', [A.id, p3.seq])).rows;
    expect(naiveAfter).toEqual([]); // the sequence reader has skipped E1 for ever

    // The feed reader continues from its stored cursor and gets E1 first, then E2 and E3: each once.
    const rest = await followUntil(A.tokens.VIEWER, held.nextCursor, [e1.id, e2.id, e3.id]);
    expect(rest.items).toEqual([e1, e2, e3].map((e) => ({ id: e.id, type: 'reservation.created', organizationId: A.id, occurredAt: expect.any(String), data: e.data })));
    expect(new Date(rest.items[0].occurredAt).toISOString()).toBe(rest.items[0].occurredAt);
    // And nothing more: reading on from the last cursor gives an empty page, and the same cursor back.
    const after = await page(A.tokens.VIEWER, rest.cursor);
    expect(after).toEqual({ items: [], nextCursor: rest.cursor });
  });

  it('20 writers take their positions in order and commit in a shuffled order (3 roll back): a reader paging after each commit never gets an event of a writer while an earlier one is open, and ends with exactly the committed events, once each, in position order', async () => {
    const start = (await follow(A.tokens.ADMIN, undefined)).cursor;
    const writers = await Promise.all(Array.from({ length: 20 }, () => lockClient(t.databaseUrl)));
    const written: { writer: number; ids: string[] }[] = [];
    for (const [w, client] of writers.entries()) {
      // In order, one after the other: writer w's transaction id is below writer w+1's.
      await client.query('begin');
      const events = [event(A.id, `${w}.0`), event(A.id, `${w}.1`), event(B.id, `${w}.b`)];
      await eventsRepository.insert(sqlOn(client), events.slice(0, 2));
      await eventsRepository.insert(sqlOn(client), events.slice(2));
      written.push({ writer: w, ids: events.slice(0, 2).map((e) => e.id) });
    }
    // A fixed shuffle (no Math.random: the run is the same every time): later writers often commit
    // before earlier ones (2 before 0, 5 before 1, 19 before 10…), and the feed moves on in between.
    const order = [2, 0, 5, 1, 9, 3, 4, 12, 7, 6, 8, 19, 10, 11, 15, 13, 14, 18, 16, 17];
    expect([...order].sort((x, y) => x - y)).toEqual([...Array(20).keys()]);
    const rolledBack = new Set([5, 9, 16]);
    const open = new Set(writers.keys());
    const writerOf = new Map(written.flatMap(({ writer, ids }) => ids.map((id) => [id, writer] as const)));
    const read: Item[] = [];
    let cursor = start;
    for (const w of order) {
      await writers[w].query(rolledBack.has(w) ? 'rollback' : 'commit');
      open.delete(w);
      const p = await page(A.tokens.ADMIN, cursor, 3);
      cursor = p.nextCursor;
      read.push(...p.items);
      const firstOpen = Math.min(...open);
      // Only events of writers before the first one still open can have come.
      for (const item of p.items) expect({ id: item.id, writer: writerOf.get(item.id)! < firstOpen }).toEqual({ id: item.id, writer: true });
    }
    const committed = written.filter(({ writer }) => !rolledBack.has(writer)).flatMap(({ ids }) => ids);
    const rest = await followUntil(A.tokens.ADMIN, cursor, committed.filter((id) => !read.some((i) => i.id === id)), 3);
    read.push(...rest.items);
    const ids = read.map((i) => i.id);
    expect(ids).toHaveLength(new Set(ids).size);
    expect([...ids].sort()).toEqual([...committed].sort());
    // In position order: (xid, seq) increasing.
    const byId = new Map((await positions(ids)).map((p) => [p.id, p]));
    const keys = ids.map((id) => byId.get(id)!);
    for (let i = 1; i < keys.length; i++) {
      const [x, y] = [keys[i - 1], keys[i]];
      expect(BigInt(x.xid) < BigInt(y.xid) || (x.xid === y.xid && x.seq < y.seq)).toBe(true);
    }
    // The writers took their ids in order, so the feed's order is the writers' order, whatever their commit order.
    expect(ids).toEqual(committed);
  });

  it('20 concurrent transactions of 1–6 events each (every fourth rolls back) while a reader follows the feed, 4 at a time: the set read equals the set committed, no duplicate', async () => {
    const start = (await follow(A.tokens.VIEWER, undefined)).cursor;
    const clients = await Promise.all(Array.from({ length: 20 }, () => lockClient(t.databaseUrl)));
    const committed: string[] = [];
    const read: Item[] = [];
    let done = false;
    let cursor = start;
    let reads = 0;
    const reader = (async () => {
      while (!done) {
        const p = await page(A.tokens.VIEWER, cursor, 4);
        reads++;
        cursor = p.nextCursor;
        read.push(...p.items);
      }
    })();
    await Promise.all(
      clients.map(async (client, w) => {
        const events = Array.from({ length: 1 + (w % 6) }, (_, i) => event(A.id, `${w}.${i}`));
        await client.query('begin isolation level serializable');
        for (const e of events) await eventsRepository.insert(sqlOn(client), [e]);
        if (w % 4 === 3) return void (await client.query('rollback'));
        await client.query('commit');
        committed.push(...events.map((e) => e.id));
      }),
    );
    done = true;
    await reader;
    const rest = await followUntil(A.tokens.VIEWER, cursor, committed.filter((id) => !read.some((i) => i.id === id)), 4);
    read.push(...rest.items);
    const ids = read.map((i) => i.id);
    expect(committed).toHaveLength(48);
    expect(ids).toHaveLength(new Set(ids).size);
    expect([...ids].sort()).toEqual([...committed].sort());
    expect(reads).toBeGreaterThan(0);
  });
});

describe('the outbox is written in the transaction of the change', () => {
  it('rolled back: no event; committed: all of them, in order — with insert() and with eventsPart() inside one WITH statement, on the service\'s own SERIALIZABLE transactions', async () => {
    const database = t.app.get(Database);
    const start = (await follow(B.tokens.ADMIN, undefined)).cursor;
    const lost = [event(B.id, 'lost.1'), event(B.id, 'lost.2')];
    await expect(
      database.serializable(async (tx) => {
        await eventsRepository.insert(tx, lost);
        throw new Error('the change is refused after its events were written');
      }),
    ).rejects.toThrow('refused');
    const lost3 = event(B.id, 'lost.3');
    const lostPart = eventsRepository.eventsPart([lost3]);
    // One WITH statement whose other part fails: nothing of it stays.
    await expect(database.serializable((tx) => tx.query(`with ${lostPart.sql} select 1 / 0`, lostPart.params))).rejects.toThrow('division by zero');

    const kept = [event(B.id, 'kept.1'), event(B.id, 'kept.2', 'authorization.low_units')];
    await database.serializable((tx) => eventsRepository.insert(tx, kept));
    const part = [event(B.id, 'kept.3', 'authorization.exhausted'), event(B.id, 'kept.4', 'reservation.consumed')];
    const fragment = eventsRepository.eventsPart(part);
    await database.serializable((tx) => tx.query(`with ${fragment.sql}, other as (select 1) select 1 from other`, fragment.params));

    expect(await positions([...lost, lost3].map((e) => e.id))).toEqual([]);
    const got = await followUntil(B.tokens.ADMIN, start, [...kept, ...part].map((e) => e.id));
    expect(got.items.map((i) => [i.id, i.type, i.data])).toEqual([...kept, ...part].map((e) => [e.id, e.type, e.data]));
  });

  it('the type CHECK is the list of SPEC §11 (plus webhook_endpoint.disabled): another type is refused by the database', async () => {
    const { rows } = await t.sql.query(`select pg_get_constraintdef(oid) as def from pg_constraint where conrelid = 'events'::regclass and contype = 'c'`);
    expect(rows).toHaveLength(1);
    expect([...rows[0].def.matchAll(/'([a-z_.]+)'::text/g)].map((m) => m[1])).toEqual([...EVENT_TYPES]);
    await expect(t.sql.query(`insert into events (id, type, organization_id, data) values ($1, 'reservation.deleted', $2, '{}')`, [randomUUID(), A.id])).rejects.toMatchObject({
      code: '23514',
    });
  });
});

describe('who reads what', () => {
  it('ADMIN and VIEWER read their own organization only; PRACTITIONER 403; no token 401; SUPER_ADMIN reads all, or one with ?organizationId=', async () => {
    const a = event(A.id, 'iso.a');
    const b = event(B.id, 'iso.b');
    await eventsRepository.insert(sqlOn(t.sql), [a, b]);
    await followUntil(superToken, undefined, [a.id, b.id]);

    for (const token of [A.tokens.ADMIN, A.tokens.VIEWER]) {
      const all = await follow(token, undefined);
      expect(all.items.some((i) => i.id === a.id)).toBe(true);
      expect(all.items.filter((i) => i.organizationId !== A.id)).toEqual([]);
    }
    const bAll = await follow(B.tokens.VIEWER, undefined);
    expect(bAll.items.some((i) => i.id === b.id)).toBe(true);
    expect(bAll.items.filter((i) => i.organizationId !== B.id)).toEqual([]);

    expectError(await t.request('GET', '/api/v1/events', { token: A.tokens.PRACTITIONER }), 403, 'FORBIDDEN');
    expectError(await t.request('GET', '/api/v1/events'), 401, 'UNAUTHORIZED');
    expectError(await t.request('GET', `/api/v1/events?organizationId=${B.id}`, { token: A.tokens.ADMIN }), 400, 'VALIDATION_FAILED');

    const everything = await follow(superToken, undefined);
    expect(new Set(everything.items.map((i) => i.organizationId))).toEqual(new Set([A.id, B.id]));
    const res = await t.request('GET', `/api/v1/events?organizationId=${B.id}&limit=100`, { token: superToken });
    expect(res.status).toBe(200);
    expect(res.body.items.map((i: Item) => i.organizationId)).toEqual(res.body.items.map(() => B.id));
    expect(res.body.items.map((i: Item) => i.id)).toEqual(bAll.items.slice(0, 100).map((i) => i.id));

    // A cursor is a position, not a key of A: B's VIEWER with A's cursor reads only B's events after it.
    const aCursor = encodeFeedCursor({ xid: '0', seq: 0 });
    const fromA = await follow(B.tokens.VIEWER, aCursor);
    expect(fromA.items.filter((i) => i.organizationId !== B.id)).toEqual([]);
  });

  it('limit: default 20, at most 100; pages follow each other without gap or repeat', async () => {
    const many = Array.from({ length: 45 }, (_, i) => event(B.id, `many.${i}`));
    const start = (await follow(B.tokens.VIEWER, undefined)).cursor;
    await eventsRepository.insert(sqlOn(t.sql), many);
    await followUntil(B.tokens.VIEWER, start, [many[44].id]);
    const first = await page(B.tokens.VIEWER, start);
    expect(first.items.map((i) => i.id)).toEqual(many.slice(0, 20).map((e) => e.id));
    const second = await page(B.tokens.VIEWER, first.nextCursor, 100);
    expect(second.items.map((i) => i.id)).toEqual(many.slice(20).map((e) => e.id));
    const byOne = await follow(B.tokens.VIEWER, start, 1);
    expect(byOne.items.map((i) => i.id)).toEqual(many.map((e) => e.id));
    expect(byOne.pages).toBe(46);
  });

  it.each([
    ['after=!!!', 'after'],
    ['after=', 'after'],
    [`after=${'A'.repeat(201)}`, 'after'],
    ['after=abc', 'after'],
    [`after=${Buffer.from('1.2.3').toString('base64url')}`, 'after'],
    [`after=${Buffer.from('-1.2').toString('base64url')}`, 'after'],
    [`after=${Buffer.from('01.2').toString('base64url')}`, 'after'],
    [`after=${Buffer.from('18446744073709551616.1').toString('base64url')}`, 'after'],
    [`after=${Buffer.from('5.9223372036854775808').toString('base64url')}`, 'after'],
    [`after=${Buffer.from('5.9007199254740993').toString('base64url')}`, 'after'],
    [`after=${Buffer.from('5.1').toString('base64url')}&after=${Buffer.from('5.2').toString('base64url')}`, 'after'],
    ['limit=0', 'limit'],
    ['limit=101', 'limit'],
    ['limit=x', 'limit'],
    ['limit=2.5', 'limit'],
    ['limit=-1', 'limit'],
    ['cursor=abc', 'cursor'],
    ['organizationId=nope', 'organizationId'],
  ])('?%s → 400 VALIDATION_FAILED naming %s', async (query, field) => {
    const res = await t.request('GET', `/api/v1/events?${query}`, { token: superToken });
    expectError(res, 400, 'VALIDATION_FAILED');
    expect(res.body.fields.map((f: { field: string }) => f.field)).toContain(field);
  });

  it('the largest valid cursor is accepted (an empty page, the same cursor back)', async () => {
    const last = encodeFeedCursor({ xid: '18446744073709551615', seq: Number.MAX_SAFE_INTEGER });
    expect(await page(A.tokens.VIEWER, last)).toEqual({ items: [], nextCursor: last });
  });
});

describe('the horizon', () => {
  it('an open read-only transaction does not hold the feed back; an open writing transaction in another database of the server does, until it ends', async () => {
    const start = (await follow(A.tokens.VIEWER, undefined)).cursor;
    const reader = await lockClient(t.databaseUrl);
    await reader.query('begin isolation level repeatable read');
    await reader.query('select count(*) from events');
    const e = event(A.id, 'horizon.1');
    await eventsRepository.insert(sqlOn(t.sql), [e]);
    const got = await followUntil(A.tokens.VIEWER, start, [e.id]);
    await reader.query('commit');

    const other = await lockClient(process.env.TEST_ADMIN_DATABASE_URL!);
    await other.query('begin');
    await other.query('select pg_current_xact_id()');
    const e2 = event(A.id, 'horizon.2');
    await eventsRepository.insert(sqlOn(t.sql), [e2]);
    expect((await page(A.tokens.VIEWER, got.cursor)).items).toEqual([]);
    await other.query('rollback');
    expect((await followUntil(A.tokens.VIEWER, got.cursor, [e2.id])).items.map((i) => i.id)).toEqual([e2.id]);
  });
});

describe('cost', () => {
  // 200 organizations, each 0.5% of the outbox: an organization's range is the plan. (With a few
  // organizations of equal size, walking every organization's events in order and keeping one's is
  // about as cheap, and PostgreSQL may take either: with 20, a narrower payload column tipped it.)
  it('a page is one index range scan, bounded by the cursor and by xmin, on 20,000 events of 200 organizations', async () => {
    const organizations = Array.from({ length: 200 }, () => randomUUID());
    await t.sql.query(
      `insert into events (id, type, organization_id, data)
       select gen_random_uuid(), 'reservation.created', ($1::uuid[])[1 + g % 200], jsonb_build_object('g', g) from generate_series(1, 20000) g`,
      [organizations],
    );
    await t.sql.query('analyze events');
    // The plan of the repository's own statement, with the repository's own parameters.
    const plan = async (organizationId: string | undefined) => {
      let explained = '';
      const explaining: Sql = {
        query: async (text, params = []) => {
          const { rows } = await t.sql.query(`explain (format json) ${statement(text, false).text}`, params);
          explained = JSON.stringify(rows[0]['QUERY PLAN']);
          return [];
        },
      };
      await eventsRepository.page(explaining, organizationId, FEED_START, 20);
      return explained;
    };
    const one = await plan(organizations[3]);
    expect(one).toContain('"Index Name":"events_organization_position_idx"');
    // Bounded at both ends inside the index: the organization, after the cursor, below xmin (computed once, an InitPlan).
    expect(one).toContain(`"Index Cond":"((organization_id = '${organizations[3]}'::uuid) AND (ROW(xid, seq) > ROW('0'::xid8, '0'::bigint)) AND (xid < (InitPlan 1).col1))"`);
    expect(one).not.toContain('Seq Scan');
    expect(one).not.toContain('"Node Type":"Sort"');
    const all = await plan(undefined);
    expect(all).toContain('"Index Name":"events_position_idx"');
    expect(all).toContain(`"Index Cond":"((ROW(xid, seq) > ROW('0'::xid8, '0'::bigint)) AND (xid < (InitPlan 1).col1))"`);
    expect(all).not.toContain('Seq Scan');
    expect(all).not.toContain('"Node Type":"Sort"');
  });
});
