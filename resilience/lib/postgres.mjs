// A private PostgreSQL that the resilience run controls: it can stop it (fast or immediate
// shutdown) and start it again on the same port and data directory while the service keeps
// running — fault (b). Started by the service's own embedded-PostgreSQL module
// (src/database/embedded-postgres.ts, compiled in dist/), which keeps the data across stop()
// and restart() and deletes it on close().
import { compiled } from '../../test/support/processes.cjs';
import { onCleanup } from '../../loadtest/lib/cleanup.mjs';

/**
 * Returns { port, root, adminUrl, urlFor(db), createDatabase(name), stop(mode), start(), close(), running }.
 * stop('fast') = SIGINT (fast shutdown: open transactions rolled back, clients disconnected);
 * stop('immediate') = SIGQUIT (no checkpoint: crash recovery at the next start).
 */
export async function startPostgres({ log = () => {}, maxConnections = 300 } = {}) {
  const { startEmbeddedDatabase } = compiled('database/embedded-postgres', ['startEmbeddedDatabase'], console.error);
  const db = await startEmbeddedDatabase({ password: 'resilience', maxConnections, durable: false, log, ownSignals: true });
  onCleanup('embedded postgres', db.close);
  return {
    port: db.port,
    root: db.dataDirectory,
    adminUrl: db.adminUrl,
    urlFor: db.urlFor,
    createDatabase: db.createDatabase,
    start: db.restart,
    stop: db.stop,
    close: db.close,
    get running() {
      return db.running;
    },
  };
}
