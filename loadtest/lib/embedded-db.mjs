// A private PostgreSQL for the harness, so that it knows the database URL: for SQL integrity
// checks and for pgbench on the same server. Started by the service's own embedded-PostgreSQL
// module (src/database/embedded-postgres.ts, compiled in dist/): the same binaries, the same
// handling of root and closed directories; its data is deleted on stop.
import { compiled } from '../../test/support/processes.cjs';
import { onCleanup } from './cleanup.mjs';

/** Returns { url, port, dataDir, stop }. The database `unit_ledger` is created. */
export async function startEmbeddedPostgres({ log = () => {} } = {}) {
  const { startEmbeddedDatabase } = compiled('database/embedded-postgres', ['startEmbeddedDatabase'], console.error);
  const db = await startEmbeddedDatabase({ password: 'loadtest', maxConnections: 300, database: 'unit_ledger', log, ownSignals: true });
  onCleanup('embedded postgres', db.close);
  return { url: db.url, port: db.port, dataDir: db.dataDirectory, stop: db.close };
}
