#!/usr/bin/env node
// CI: a short run of scenario 1 (default 50 requests/s × 4 s) with hard assertions.
// Exits 0 only if every assertion passed; last line: "N passed, M failed".
import os from 'node:os';
import { parseCli } from './lib/cli-args.mjs';
import { runMain } from './lib/cleanup.mjs';
import { prepareStack } from './lib/stack.mjs';
import { createLeanHttpClient } from './lib/lean-http-client.mjs';
import { createApi } from './lib/api.mjs';
import { SCENARIOS } from './lib/scenarios.mjs';
import { runScenario } from './lib/run-scenario.mjs';
import { countStatuses } from './lib/verdict.mjs';
import { sqlFindings } from './lib/integrity.mjs';
import { createReportDir, writeReport } from './lib/report-files.mjs';
import { buildLoadtestBlocks } from './lib/loadtest-report.mjs';

const opts = parseCli(
  {
    rate: { type: 'number', default: 50, help: 'arrivals per second' },
    duration: { type: 'number', default: 4, help: 'seconds' },
    target: { type: 'string', help: 'base URL of a running service (needs ADMIN_EMAIL/ADMIN_PASSWORD); default: start one' },
    'service-db': { type: 'boolean', default: false, help: 'when starting the service without DATABASE_URL, let it start its own embedded database (no SQL checks)' },
  },
  'Usage: node loadtest/ci-smoke.mjs [options]',
);

runMain(async () => {
  const dir = await createReportDir('ci-smoke');
  const stack = await prepareStack({ target: opts.target, runSeconds: opts.duration, logDir: dir, serviceOwnsDb: opts['service-db'] });
  console.error(`target: ${stack.describe}`);
  const api = createApi(createLeanHttpClient(stack.baseUrl));
  const adminToken = await api.login(stack.adminEmail, stack.adminPassword);
  const s = await runScenario({ api, adminToken, scenario: SCENARIOS[1], rate: opts.rate, duration: opts.duration, databaseUrl: stack.databaseUrl });
  api.http.close();

  const results = [];
  const check = (name, ok, detail) => {
    results.push(ok);
    console.log(`${ok ? 'ok    ' : 'NOT OK'} ${name}${detail === undefined ? '' : `: ${detail}`}`);
  };
  const o = s.run.outcomes;
  const e = s.expectations;
  check('all requests completed', s.run.completed === s.run.planned, `${s.run.completed}/${s.run.planned}`);
  check('zero 401', countStatuses(o, (x) => x === 401) === 0, countStatuses(o, (x) => x === 401));
  check('zero 403', countStatuses(o, (x) => x === 403) === 0, countStatuses(o, (x) => x === 403));
  check('zero 429', countStatuses(o, (x) => x === 429) === 0, countStatuses(o, (x) => x === 429));
  check('zero 5xx', countStatuses(o, (x) => x >= 500) === 0, countStatuses(o, (x) => x >= 500));
  check('zero network errors', (o['network error'] ?? 0) === 0, o['network error'] ?? 0);
  check('every response is 201 or 409 INSUFFICIENT_UNITS', s.run.errors === 0, JSON.stringify(o));
  check('successes = expected (10 authorizations × 5 reservations when each got ≥ 5 requests)', e.reserveOk === e.expectedReserveOk, `${e.reserveOk} of ${e.expectedReserveOk} expected`);
  check('all other requests are 409 INSUFFICIENT_UNITS', e.reserveInsufficient === e.expectedInsufficient, `${e.reserveInsufficient} of ${e.expectedInsufficient}`);
  check('integrity: no used + scheduled > total', s.integrity.overbooked === 0, s.integrity.overbooked);
  check('integrity: no negative counters', s.integrity.negative === 0, s.integrity.negative);
  check('integrity: ledger reconciles with counters', s.integrity.ledgerMismatches === 0, s.integrity.ledgerMismatches);
  check('integrity: counters = harness bookkeeping', s.integrity.clientMismatches === 0, s.integrity.clientMismatches);
  // A query that errors, or no connection, is NOT OK; SQL not run at all is NOT OK under CI=true.
  const sqlChecks = sqlFindings(s.sql);
  for (const f of sqlChecks) check(`integrity (SQL): ${f.name}${f.limit === '= 0' ? ' = 0' : ''}`, f.pass, f.value);
  if (!sqlChecks.length) console.log(`SKIP   integrity (SQL), not checked (CI is not set): ${s.sql.reason}`);
  check('metrics: unit_transactions_total exported', s.metrics.present);
  check('metrics: no exhausted retries', s.metrics.present && s.metrics.failures === 0, s.metrics.failures);
  for (const c of s.evaluation.targets) console.log(`info   target ${c.name}: ${c.value} (${c.limit}) ${c.pass ? 'MET' : 'MISSED'}`);

  const report = {
    tool: 'unit-ledger ci-smoke',
    generatedAt: new Date().toISOString(),
    environment: { node: process.version, loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '?', stack: stack.describe },
    options: opts,
    verdict: s.evaluation.verdict,
    scenarios: [s],
  };
  const files = await writeReport(dir, 'Unit Ledger CI smoke', buildLoadtestBlocks(report), report);
  console.log(`report: ${files.md}`);
  const failed = results.filter((x) => !x).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  return failed ? 1 : 0;
});
