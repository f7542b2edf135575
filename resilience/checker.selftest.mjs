#!/usr/bin/env node
// Self-test of the history checker: a short fault-free run produces a real history and
// database (private embedded PostgreSQL, one service instance); the checker must find them
// clean; then every doctored copy (lib/selftest.mjs: rows inserted by hand, a 2xx with no row,
// a 500, a refused request that was applied, …, each in a rolled-back transaction) must be
// reported by the check it breaks. (Replays of reservations with an expiresAt are left out of
// this history: they exercise the service, not the checker — run.mjs sends them.) Last line `N passed, M failed`; exit 1 on any miss.
//
//   node resilience/checker.selftest.mjs
import crypto from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import pg from 'pg';
import { runMain } from '../loadtest/lib/cleanup.mjs';
import { startPostgres } from './lib/postgres.mjs';
import { ServiceInstance, snapshotDist } from './lib/instances.mjs';
import { History, ResilientClient } from './lib/history.mjs';
import { mulberry32, seed, startClients } from './lib/workload.mjs';
import { runChecker } from './lib/checker.mjs';
import { runSelfTest } from './lib/selftest.mjs';

const log = (m) => process.stderr.write(`${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

runMain(async () => {
  // Under the repository (not /tmp), so that the dist/ snapshot resolves node_modules.
  const logDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'reports', `${new Date().toISOString().replace(/[:.]/g, '-')}-selftest`);
  fs.mkdirSync(logDir, { recursive: true });
  const mainJs = await snapshotDist(logDir, log);
  const server = await startPostgres();
  const databaseUrl = await server.createDatabase('ul_checker_selftest');
  const tag = `st${Date.now().toString(36)}`;
  const adminEmail = `res-admin-${tag}@resilience.example.com`;
  const adminPassword = crypto.randomBytes(18).toString('base64url');
  const inst = new ServiceInstance({
    name: 'A',
    mainJs,
    logDir,
    env: {
      DATABASE_URL: databaseUrl, JWT_SECRET: crypto.randomBytes(48).toString('base64url'), JWT_EXPIRES_IN: '2h',
      BOOTSTRAP_ADMIN_EMAIL: adminEmail, BOOTSTRAP_ADMIN_PASSWORD: adminPassword, EXPIRY_SWEEP_INTERVAL_MS: '200',
      LOG_LEVEL: 'warn', NO_COLOR: '1', SHUTDOWN_GRACE_MS: '500', DATA_DIR: path.join(logDir, 'data'),
    },
  });
  await inst.start();
  const seedData = await seed({ baseUrl: inst.baseUrl, adminEmail, adminPassword, tag, clients: 6 });
  const history = new History('selftest');
  const rng = mulberry32(12345);
  const client = new ResilientClient({ instances: [inst], history, rng });
  log('generating a real history: 6 clients, 8 s, no fault…');
  const load = startClients({ seedData, client, history, tag, durationMs: 8000, rng, expiringFraction: 0.3, expiresInMs: [300, 1500], replayExpiring: false });
  await load.done;
  client.close();
  // Let every expiresAt pass and the sweep run.
  await sleep(2500);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  for (let i = 0; i < 100; i++) {
    const { rows } = await db.query(`select count(*)::int as n from reservations where status = 'SCHEDULED' and expires_at <= now()`);
    if (rows[0].n === 0) break;
    await sleep(100);
  }
  await db.end();
  await inst.stop();

  history.save(path.join(logDir, 'history-selftest.json'));
  const results = [];
  const real = await runChecker({ databaseUrl, records: history.records, seedAuthorizations: seedData.authorizations });
  const s = history.stats();
  results.push({ name: `real history (${s.requests} requests, ${real.counts.reservations} reservations, ${real.counts.ledgerEntries} ledger entries) is clean`, ok: real.violations === 0, fired: Object.entries(real.checks).filter(([, c]) => c.violations.length).map(([n, c]) => `${n}: ${c.violations.length} violation(s), e.g. ${c.violations[0].message} ${JSON.stringify(c.violations[0].detail ?? '').slice(0, 400)}`) });
  const m = real.checks['moves-and-scheduling'].info;
  log(`real history: ${s.requests} requests; moves ${m.moves} (${m.acknowledged} 2xx, refused ${JSON.stringify(m.refused)}), ${m.reservationsMoved} reservations moved (revision up to ${m.maxRevision}); scheduling by patient ${m.scheduled} (${m.scheduledAck} 2xx, ${m.scheduledRefused} 409)`);
  const st = await runSelfTest({ databaseUrl, records: history.records, seedAuthorizations: seedData.authorizations });
  for (const r of st.results) results.push({ name: `detects: ${r.name}`, ok: r.detected, fired: r.error ? [`error: ${r.error}`] : r.fired, example: r.example });
  for (const r of results) {
    console.log(`${r.ok ? 'PASS' : 'FAIL'} ${r.name}${r.fired.length ? ` → ${r.fired.join(', ')}` : ''}`);
    if (r.example) console.log(`       e.g. ${r.example}`);
  }
  const passed = results.filter((r) => r.ok).length;
  console.log(`${passed} passed, ${results.length - passed} failed`);
  if (passed === results.length) fs.rmSync(logDir, { recursive: true, force: true });
  return passed === results.length ? 0 : 1;
});
