import { MikroORM } from '@mikro-orm/postgresql';
import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Client, QueryConfig } from 'pg';
import { assertRawConnections, RawConnections, rawConnections } from './raw-connection';
import { executeLiteral, inlined, quoteLiteral } from './sql-literals';

/** A timestamp column as ISO-8601 UTC text, exactly as Date#toISOString writes it. */
export const iso = (column: string): string => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export interface QueryOptions {
  /** Prepared once per connection, by name (the hot path's statements). */
  prepare?: boolean;
  /**
   * The transaction's last statement: prepared and run as EXECUTE, it travels with COMMIT in one
   * round trip. Nothing may be queried after it. Ignored outside Database.serializable, and for a
   * transaction's first statement (which travels with BEGIN).
   */
  last?: boolean;
}

/** Plain SQL with `?` placeholders, on one connection (inside a transaction, or not). */
export interface Sql {
  query<T = Record<string, unknown>>(text: string, params?: unknown[], options?: QueryOptions): Promise<T[]>;
}

/** A piece of SQL text with its `?` parameters, in order: a condition, or a part of a statement. */
export interface SqlFragment {
  sql: string;
  params: unknown[];
}

const numberedCache = new Map<string, QueryConfig>();

/** `?` → `$1, $2, …` once per distinct text; prepared statements are named by their text's hash. */
export function statement(text: string, prepare: boolean): QueryConfig {
  const key = `${prepare ? 'P' : 'U'}${text}`;
  let config = numberedCache.get(key);
  if (!config) {
    let n = 0;
    const numbered = text.replace(/\?/g, () => `$${++n}`);
    config = prepare ? { text: numbered, name: `ul_${createHash('sha1').update(numbered).digest('hex').slice(0, 16)}` } : { text: numbered };
    if (prepare || numberedCache.size < 1000) numberedCache.set(key, config);
  }
  return config;
}

/** The prepared statements (by name) each connection has run: they can be run with EXECUTE there. */
const preparedOn = new WeakMap<Client, Set<string>>();

const sqlOn = (client: Client): Sql => ({
  async query<T>(text: string, params: unknown[] = [], options: QueryOptions = {}) {
    const config = statement(text, options.prepare ?? false);
    const result = await client.query({ ...config, values: params });
    if (config.name) {
      const names = preparedOn.get(client) ?? new Set<string>();
      preparedOn.set(client, names.add(config.name));
    }
    return result.rows as T[];
  },
});

/**
 * A prepared statement this connection has run, as `EXECUTE name(literals)`: it can travel in the
 * simple protocol with BEGIN and still skip parsing and planning. Undefined when the statement is
 * not prepared here yet (or a parameter cannot be written in).
 */
function executed(client: Client, text: string, params: unknown[]): string | undefined {
  const { name } = statement(text, true);
  if (!name || !preparedOn.get(client)?.has(name)) return undefined;
  const literals = params.map(executeLiteral);
  if (literals.some((l) => l === undefined)) return undefined;
  return literals.length ? `execute ${name}(${literals.join(', ')})` : `execute ${name}`;
}

/**
 * Every statement of these transactions finds its rows through an index. Without statistics (a new
 * database, autovacuum off) or on small tables, PostgreSQL prefers a sequential scan for a batch of
 * ids, and under SERIALIZABLE a sequential scan locks the whole table for conflict detection: every
 * concurrent reservation then conflicts (measured: 96–99% retries with 16 clients on 1,000
 * authorizations). PostgreSQL's documentation advises steering SERIALIZABLE work to index scans.
 */
export const INDEX_SCANS_ONLY = 'enable_seqscan = off';

/**
 * Prepared statements are the hot path's; prepared, they should not be planned again on every
 * call. PostgreSQL's plan cache would still plan them anew with each call's parameters (a custom
 * plan) whenever the estimated cost of the generic plan is higher, as it is for `id = any(?)`:
 * measured, the batch read was planned on every call (0.15 ms of planning for 0.04 ms of
 * execution), and its generic plan runs in the same 0.04 ms.
 */
export const GENERIC_PLANS = 'plan_cache_mode = force_generic_plan';

const BEGIN = `begin isolation level serializable; set local ${INDEX_SCANS_ONLY}`;
/** A transaction that starts with a prepared statement is a hot path's: every statement in it is prepared. */
const BEGIN_PREPARED = `${BEGIN}; set local ${GENERIC_PLANS}`;

type Results<T> = { rows: T[] }[];

/** Advisory-lock keys for ids, in one sorted order (two sessions never wait for each other in a cycle). */
const lockKeysSql = (ids: string[]) =>
  `(select unnest(array[${[...new Set(ids)].map(quoteLiteral).join(', ')}]::text[]) as k order by 1) keys`;

/**
 * A transaction whose first statement travels with its BEGIN in one round trip (the simple query
 * protocol allows several statements, but no parameters: they are written in as escaped
 * literals; a statement to prepare as EXECUTE of the connection's prepared statement, so that the
 * hot path's read is not parsed and planned again each time). Later statements use the extended
 * protocol, prepared where asked.
 *
 * With lock ids, the same round trip tries to take a transaction advisory lock on each. When one
 * is held by another session (another instance working on that authorization), the attempt is
 * rolled back and the locks are waited for as session locks *before* BEGIN — so the transaction's
 * snapshot is taken after the other one committed, and does not fail with 40001 against it.
 */
function transactionOn(client: Client, lockIds: string[]): Sql & { commit(): Promise<void>; rollback(): Promise<void> } {
  const rest = sqlOn(client);
  let begun = false;
  let sessionLocked = false;
  let committed = false;
  const tryLocks = lockIds.length ? `select bool_and(pg_try_advisory_xact_lock(hashtextextended(k, 0))) as locked from ${lockKeysSql(lockIds)}` : '';
  const waitForLocks = async () => {
    await client.query('rollback');
    await client.query(`select pg_advisory_lock(hashtextextended(k, 0)) from ${lockKeysSql(lockIds)}`);
    sessionLocked = true;
  };
  const end = (verb: 'commit' | 'rollback') => `${verb}${sessionLocked ? '; select pg_advisory_unlock_all()' : ''}`;

  const first = async <T>(text: string, params: unknown[], options: QueryOptions): Promise<T[]> => {
    const begin = options.prepare ? BEGIN_PREPARED : BEGIN;
    // A statement to prepare runs prepared: inline once this connection has prepared it (EXECUTE),
    // and on its own round trip the first time, which prepares it.
    const inline = options.prepare ? executed(client, text, params) : inlined(text, params);
    if (inline === undefined) {
      if (tryLocks) {
        const attempt = ((await client.query(`${begin}; ${tryLocks}`)) as unknown as Results<{ locked: boolean }>).at(-1)!;
        if (!attempt.rows[0].locked) await waitForLocks().then(() => client.query(begin));
      } else {
        await client.query(begin);
      }
      return rest.query<T>(text, params, options);
    }
    if (tryLocks) {
      const [attempt, result] = ((await client.query(`${begin}; ${tryLocks}; ${inline}`)) as unknown as Results<T>).slice(-2);
      if ((attempt.rows[0] as { locked: boolean }).locked) return result.rows;
      await waitForLocks();
    }
    return ((await client.query(`${begin}; ${inline}`)) as unknown as Results<T>).at(-1)!.rows;
  };

  return {
    async query<T>(text: string, params: unknown[] = [], options: QueryOptions = {}) {
      if (committed) throw new Error('a statement after the last one of the transaction (QueryOptions.last)');
      if (!begun) {
        begun = true;
        return first<T>(text, params, options);
      }
      const inline = options.last && options.prepare ? executed(client, text, params) : undefined;
      if (inline === undefined) return rest.query<T>(text, params, options);
      const [result] = (await client.query(`${inline}; ${end('commit')}`)) as unknown as Results<T>;
      committed = true;
      return result.rows;
    },
    async commit() {
      if (begun && !committed) await client.query(end('commit'));
    },
    async rollback() {
      if (begun && !committed) await client.query(end('rollback'));
    },
  };
}

/**
 * SQL straight on the driver, through MikroORM's own connection pool (borrowed in
 * raw-connection.ts, the one adapter to MikroORM's internals). The unit operations are the hot
 * path: going around the query builder removes most of the per-statement cost, and one pool keeps
 * one limit on connections (DATABASE_POOL_SIZE).
 */
@Injectable()
export class Database {
  private readonly connections: RawConnections;

  constructor(orm: MikroORM) {
    assertRawConnections(orm);
    this.connections = rawConnections(orm);
  }

  async query<T = Record<string, unknown>>(text: string, params: unknown[] = [], options: QueryOptions = {}): Promise<T[]> {
    const client = await this.connections.acquire();
    try {
      return await sqlOn(client).query<T>(text, params, options);
    } finally {
      await this.connections.release(client);
    }
  }

  /**
   * One SERIALIZABLE transaction on one connection; rolled back on any error. With `lockKeys`, the
   * transaction starts only once this session holds an advisory lock on each key: transactions of
   * *other instances* on the same keys then run one after the other (the later one's snapshot
   * already sees the earlier one's commit) instead of failing each other with 40001. Uncontended,
   * the locks cost nothing extra: they travel with BEGIN and end with COMMIT/ROLLBACK.
   */
  async serializable<T>(work: (tx: Sql) => Promise<T>, lockKeys: string[] = []): Promise<T> {
    const client = await this.connections.acquire();
    try {
      const tx = transactionOn(client, lockKeys);
      try {
        const result = await work(tx);
        await tx.commit();
        return result;
      } catch (error) {
        await tx.rollback().catch(() => undefined);
        throw error;
      }
    } finally {
      await this.connections.release(client);
    }
  }
}
