import { MikroORM } from '@mikro-orm/postgresql';
import { Client } from 'pg';

// Any fixed 64-bit number; every instance of the service uses the same one.
const MIGRATION_LOCK_KEY = 4_728_193_017;

/**
 * Applies pending migrations while holding a PostgreSQL advisory lock on a dedicated connection,
 * so instances started at the same moment migrate one after the other (the later ones find
 * nothing left to do).
 */
export async function migrate(orm: MikroORM, clientUrl: string): Promise<string[]> {
  const lockClient = new Client({ connectionString: clientUrl });
  lockClient.on('error', () => undefined);
  await lockClient.connect();
  try {
    await lockClient.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await orm.getMigrator().up();
    return applied.map((m) => m.name);
  } finally {
    await lockClient.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lockClient.end().catch(() => undefined);
  }
}
