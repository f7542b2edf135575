import { MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import { Database } from '../src/database/database.service';
import { ormConfig } from '../src/database/orm-config';
import { assertRawConnections, rawConnections } from '../src/database/raw-connection';
import { SerializableReads } from '../src/database/serializable-reads';
import { AppConfig } from '../src/config/app-config';
import { createTestDatabase } from './helpers/test-app';

/**
 * The one adapter to MikroORM's internals (src/database/raw-connection.ts) on the real database.
 * When a MikroORM upgrade changes how its pool lends connections, this file fails and says where
 * to look — before the service does.
 */
describe('Raw connections borrowed from MikroORM (src/database/raw-connection.ts)', () => {
  let orm: MikroORM;
  let databaseName: string;
  let databaseUrl: string;

  beforeAll(async () => {
    const url = await createTestDatabase();
    databaseUrl = url;
    databaseName = new URL(url).pathname.slice(1);
    orm = await MikroORM.init(ormConfig(url, 2));
  });

  afterAll(async () => {
    await orm?.close();
  });

  it('MikroORM still has the internals the adapter uses: getKnex().client.acquireConnection/releaseConnection', () => {
    const connection = orm.em.getConnection() as unknown as { getKnex: () => { client: Record<string, unknown> } };
    expect(typeof connection.getKnex).toBe('function');
    expect(typeof connection.getKnex().client.acquireConnection).toBe('function');
    expect(typeof connection.getKnex().client.releaseConnection).toBe('function');
    expect(() => assertRawConnections(orm)).not.toThrow();
  });

  it('lends a working pg.Client on the configured database and takes it back into the pool', async () => {
    const connections = rawConnections(orm);
    const pool = (orm.em.getConnection().getKnex().client as unknown as { pool: { numUsed(): number } }).pool;
    const connection = await connections.acquire();
    try {
      expect(connection).toBeInstanceOf(Client);
      expect(pool.numUsed()).toBe(1);
      const { rows } = await connection.query<{ db: string }>('select current_database() as db');
      expect(rows).toEqual([{ db: databaseName }]);
    } finally {
      await connections.release(connection);
    }
    expect(pool.numUsed()).toBe(0);
  });

  it('Database runs plain statements and SERIALIZABLE transactions on those connections', async () => {
    const database = new Database(orm);
    expect(await database.query<{ one: number }>('select ?::int as one', [1])).toEqual([{ one: 1 }]);
    const isolation = await database.serializable((tx) => tx.query<{ level: string }>(`select current_setting('transaction_isolation') as level`));
    expect(isolation).toEqual([{ level: 'serializable' }]);
  });

  it("a transaction's first statement, when prepared, travels with BEGIN as EXECUTE once its connection has prepared it: same rows", async () => {
    const database = new Database(orm);
    const text = 'select ?::uuid[] as ids, ?::text[] as words, ?::int as n, ?::text as t';
    // Array elements that need quoting in an array literal, and a quote in a plain string.
    const params = [['00000000-0000-7000-8000-000000000001', '00000000-0000-7000-8000-000000000002'], ['a"b', 'c\\d', 'e,f', '{g}', "h'i", 'NULL', null], 7, "it's"];
    const expected = [{ ids: params[0], words: params[1], n: 7, t: "it's" }];
    const sent = jest.spyOn(Client.prototype, 'query');
    try {
      // Pool of 2 connections: of 5 transactions, at least 3 run on a connection that prepared the statement before.
      for (let i = 0; i < 5; i++) {
        expect(await database.serializable((tx) => tx.query(text, params, { prepare: true }), ['lane-key'])).toEqual(expected);
      }
      const texts = sent.mock.calls.map(([q]) => (typeof q === 'string' ? q : ''));
      expect(texts.filter((q) => /^begin isolation level serializable; .*; execute ul_[0-9a-f]{16}\(/.test(q)).length).toBeGreaterThanOrEqual(3);
    } finally {
      sent.mockRestore();
    }
  });

  it("a transaction's last statement, prepared, travels with COMMIT as EXECUTE once its connection has prepared it; a failing one rolls back; nothing may follow it", async () => {
    const database = new Database(orm);
    await database.query('create table last_statement (n int check (n >= 0))');
    const insert = 'insert into last_statement (n) values (?) returning n';
    const sent = jest.spyOn(Client.prototype, 'query');
    try {
      for (let n = 0; n < 5; n++) {
        const rows = await database.serializable(async (tx) => {
          await tx.query('select ?::int as n', [n], { prepare: true });
          return tx.query(insert, [n], { prepare: true, last: true });
        });
        expect(rows).toEqual([{ n }]);
      }
      const texts = sent.mock.calls.map(([q]) => (typeof q === 'string' ? q : ''));
      expect(texts.filter((q) => /^execute ul_[0-9a-f]{16}\(\d\); commit$/.test(q)).length).toBeGreaterThanOrEqual(3);
    } finally {
      sent.mockRestore();
    }
    // Refused by the CHECK, on connections that have the statement prepared: nothing written, both connections usable after.
    for (let i = 0; i < 2; i++) {
      await expect(database.serializable(async (tx) => {
        await tx.query('select ?::int as n', [-1], { prepare: true });
        return tx.query(insert, [-1], { prepare: true, last: true });
      })).rejects.toMatchObject({ code: '23514' });
    }
    await expect(database.serializable(async (tx) => {
      await tx.query('select ?::int as n', [5], { prepare: true });
      await tx.query(insert, [5], { prepare: true, last: true });
      return tx.query('select 1');
    })).rejects.toThrow(/after the last one of the transaction/);
    expect(await database.query('select array_agg(n order by n) as ns from last_statement')).toEqual([{ ns: [0, 1, 2, 3, 4, 5] }]);
  });

  it('a transaction that starts with a prepared statement, and every SerializableReads statement, runs with generic plans; others keep the default', async () => {
    const database = new Database(orm);
    const mode = "select current_setting('plan_cache_mode') as mode";
    // Pool of 2 connections: the first time on each prepares the statement, then it travels as EXECUTE.
    for (let i = 0; i < 4; i++) {
      expect(await database.serializable((tx) => tx.query(mode, [], { prepare: true }))).toEqual([{ mode: 'force_generic_plan' }]);
      expect(await database.serializable((tx) => tx.query(mode))).toEqual([{ mode: 'auto' }]);
    }
    expect(await database.query(mode)).toEqual([{ mode: 'auto' }]);
    const reads = new SerializableReads({ databaseUrl } as AppConfig);
    try {
      expect(await reads.query(mode)).toEqual([{ mode: 'force_generic_plan' }]);
    } finally {
      await reads.onApplicationShutdown();
    }
  });

  it('refuses to start, naming the file to adapt, when the internals are gone', () => {
    const changed = { em: { getConnection: () => ({ getKnex: () => ({ client: {} }) }) } } as unknown as MikroORM;
    expect(() => assertRawConnections(changed)).toThrow(/acquireConnection\(\) is missing; src\/database\/raw-connection\.ts/);
    const noKnex = { em: { getConnection: () => ({}) } } as unknown as MikroORM;
    expect(() => assertRawConnections(noKnex)).toThrow(/no getKnex\(\)/);
    expect(() => new Database(noKnex)).toThrow(/MikroORM internals changed/);
  });
});
