import { MikroORM } from '@mikro-orm/postgresql';
import type { Client } from 'pg';

/** Borrowing and returning one `pg` connection of MikroORM's own pool. */
export interface RawConnections {
  acquire(): Promise<Client>;
  release(connection: Client): Promise<void>;
}

interface KnexClient {
  acquireConnection(): Promise<Client>;
  releaseConnection(connection: Client): Promise<void>;
}

/**
 * THE ONE PLACE that reaches into MikroORM's internals for a raw connection: MikroORM 6 keeps its
 * pool in a Knex instance (`connection.getKnex()`), whose client lends out the driver's `pg.Client`
 * with `acquireConnection()` and takes it back with `releaseConnection()`. Neither is a public API
 * of MikroORM, so an upgrade may change them: `assertRawConnections` checks them at start (the
 * service then refuses to start rather than fail on the first request), and
 * test/raw-connection.e2e-spec.ts checks that a borrowed connection really is a working `pg.Client`
 * on the configured database. Only Database (database.service.ts) uses this.
 */
export function rawConnections(orm: MikroORM): RawConnections {
  const client = () => orm.em.getConnection().getKnex().client as unknown as KnexClient;
  return {
    acquire: () => client().acquireConnection(),
    release: (connection) => client().releaseConnection(connection),
  };
}

/** Throws, naming what is missing, when MikroORM no longer lends connections the way rawConnections expects. */
export function assertRawConnections(orm: MikroORM): void {
  const connection = orm.em.getConnection() as unknown as { getKnex?: () => { client?: Partial<KnexClient> } };
  if (typeof connection.getKnex !== 'function') {
    throw new Error('MikroORM internals changed: the connection has no getKnex(); src/database/raw-connection.ts must be adapted');
  }
  const client = connection.getKnex().client;
  for (const method of ['acquireConnection', 'releaseConnection'] as const) {
    if (typeof client?.[method] !== 'function') {
      throw new Error(`MikroORM internals changed: getKnex().client.${method}() is missing; src/database/raw-connection.ts must be adapted`);
    }
  }
}
