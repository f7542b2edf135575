#!/usr/bin/env node
// npm run bench -- [--duration S] [--cases hot16,hot64,spread16] [--target URL]
// Closed-loop capacity of successful reservations/s, next to pgbench running the
// equivalent SERIALIZABLE transaction on the same PostgreSQL server. Each case alternates the two
// in rounds and reports the median of the rounds' ratios: a machine whose speed drifts during a
// case (these are shared) then moves both sides of a round alike.
import os from 'node:os';
import crypto from 'node:crypto';
import { parseCli } from './lib/cli-args.mjs';
import { runMain } from './lib/cleanup.mjs';
import { prepareStack } from './lib/stack.mjs';
import { createLeanHttpClient } from './lib/lean-http-client.mjs';
import { createApi, mapLimit } from './lib/api.mjs';
import { TokenPool } from './lib/tokens.mjs';
import { createAuthorizations, newRunTag } from './lib/seed.mjs';
import { runClosedLoop } from './lib/closed-loop.mjs';
import { unitMetricsDelta } from './lib/metrics.mjs';
import * as pgbench from './lib/pgbench.mjs';
import { startMachineCpu } from './lib/machine-cpu.mjs';
import { BENCH_CASES, SPREAD_AUTHORIZATIONS, BENCH_TOTAL_UNITS, PATIENTS } from './lib/bench-cases.mjs';
import { createReportDir, writeReport } from './lib/report-files.mjs';
import { buildBenchBlocks, benchTable } from './lib/bench-report.mjs';

const opts = parseCli(
  {
    duration: { type: 'number', default: 15, help: 'measured seconds per case, for the service and for pgbench each (split over the rounds)' },
    rounds: { type: 'number', default: 3, help: 'rounds per case, each measuring the service then pgbench for duration/rounds seconds; the ratio is the median of the rounds’ ratios' },
    warmup: { type: 'number', default: 2, help: 'warm-up seconds before each measurement (service and pgbench)' },
    cases: { type: 'string', default: 'hot16,hot64,spread16,capped16,patient16', help: 'comma-separated: hot16, hot64, spread16, capped16, patient16' },
    target: { type: 'string', help: 'running service (needs ADMIN_EMAIL/ADMIN_PASSWORD; pgbench needs DATABASE_URL of its database)' },
    pgbench: { type: 'string', help: 'pgbench binary (default: embedded package, /usr/lib/postgresql/15/bin/pgbench, PATH)' },
    'max-tries': { type: 'number', default: 100, help: 'pgbench --max-tries' },
    'pgbench-threads': { type: 'number', default: 2, help: 'pgbench -j' },
    'pgbench-protocol': { type: 'string', default: 'simple', help: 'pgbench -M: simple, extended or prepared' },
  },
  'Usage: node loadtest/bench.mjs [options]   (npm run bench -- [options])',
);

const log = (m) => console.error(m);
/** Seconds each side (service, pgbench) of one round is measured (--rounds is checked before any round runs). */
const roundSeconds = Math.max(1, Math.round(opts.duration / opts.rounds));

async function createPractitioners(api, adminToken, tokens, orgId, count, prefix, tag) {
  await mapLimit(Array.from({ length: count }, (_, i) => i), 4, async (i) => {
    const email = `bench-${prefix}-${i + 1}-${tag}@loadtest.example.com`;
    const password = crypto.randomBytes(18).toString('base64url');
    await api.createUser(adminToken, { email, password, role: 'PRACTITIONER', organizationId: orgId });
    await tokens.add(`${prefix}-${i}`, email, password); // one practitioner per client
  });
}

async function scrape(api) {
  return api.metricsText().catch(() => '');
}

/** The authorizations of a case: the shared 1,000, the patients' pairs, or one hot one (with the case's caps). */
async function caseAuthorizations(api, adminToken, org, c, spreadAuths, tag) {
  if (c.byPatient) {
    log(`[${c.name}] creating ${PATIENTS} patients × 2 authorizations…`);
    const specs = Array.from({ length: PATIENTS * 2 }, (_, i) => ({ org, totalUnits: BENCH_TOTAL_UNITS, pool: 'patient', patientId: `PAT-${tag}-P${Math.floor(i / 2)}` }));
    return createAuthorizations(api, adminToken, specs, `${tag}-${c.name}`);
  }
  if (c.spread) return spreadAuths;
  return createAuthorizations(api, adminToken, [{ org, totalUnits: BENCH_TOTAL_UNITS, pool: 'hot', caps: c.caps }], `${tag}-${c.name}`);
}

/**
 * One case: the service's closed loop of reserve(1 unit), by id or (byPatient) by patient, and
 * pgbench, alternating for `rounds` rounds; then the integrity check over every 201 of the case.
 */
async function benchCase(api, adminToken, org, c, spreadAuths, tag, pg) {
  const tokens = new TokenPool(api);
  log(`[${c.name}] creating ${c.clients} practitioners…`);
  await createPractitioners(api, adminToken, tokens, org.id, c.clients, c.name, tag);
  tokens.startAutoRefresh();
  const auths = await caseAuthorizations(api, adminToken, org, c, spreadAuths, tag);
  const patients = [...new Set(auths.map((a) => a.patientId))];
  const created = new Map(auths.map((a) => [a.id, 0])); // all 201s incl. warm-up, for the integrity check
  let unknownOutcomes = 0;
  const op = async (i) => {
    const token = tokens.tokenFor(`${c.name}-${i}`);
    if (c.byPatient) {
      const res = await api.reserveForPatient(token, patients[Math.floor(Math.random() * patients.length)], '97153', 1);
      if (res.status === 201) created.set(res.body.authorization.id, created.get(res.body.authorization.id) + 1);
      if (!res.status) unknownOutcomes++;
      return res;
    }
    const auth = auths.length === 1 ? auths[0] : auths[Math.floor(Math.random() * auths.length)];
    const res = await api.reserve(token, auth.id, 1);
    if (res.status === 201) created.set(auth.id, created.get(auth.id) + 1);
    if (!res.status) unknownOutcomes++;
    return res;
  };
  if (pg) await pgbenchWarmup(pg, c);
  const rounds = [];
  for (let round = 1; round <= opts.rounds; round++) {
    let before = '';
    const run = await runClosedLoop({
      label: `${c.name} service, round ${round}/${opts.rounds}`,
      clients: c.clients,
      warmupSec: round === 1 ? opts.warmup : 0,
      durationSec: roundSeconds,
      onWindowStart: async () => (before = await scrape(api)),
      op,
    });
    const metrics = unitMetricsDelta(before, await scrape(api));
    const exhausted503 = Object.entries(run.outcomes).filter(([k]) => k.startsWith('503')).reduce((s, [, n]) => s + n, 0);
    const pgbench = pg ? await benchPgbench(pg, c, roundSeconds, round) : null;
    const ratio = pgbench?.tps ? run.okPerSec / pgbench.tps : null;
    rounds.push({ service: { ...run, metrics, exhausted503 }, pgbench, ratio });
    log(`[${c.name}] round ${round}: service ${run.okPerSec} ok/s, pgbench ${pgbench ? pgbench.tps.toFixed(1) : '—'} tps, ratio ${ratio?.toFixed(2) ?? '—'}`);
  }
  tokens.stopAutoRefresh();
  // Integrity: every authorization's scheduledUnits equals the 201s it gave (1 unit each).
  let mismatches = 0;
  let overbooked = 0;
  const anyToken = tokens.tokenFor(`${c.name}-0`);
  await mapLimit(auths, 8, async (a) => {
    const got = await api.getAuthorization(anyToken, a.id);
    if (got.usedUnits + got.scheduledUnits > got.totalUnits) overbooked++;
    if (got.scheduledUnits !== created.get(a.id)) mismatches++;
  });
  // The case's figures are those of its median round; every round's ratio is kept.
  const ordered = [...rounds].sort((x, y) => (x.ratio ?? 0) - (y.ratio ?? 0));
  const median = ordered[Math.floor((ordered.length - 1) / 2)];
  const integrity = { checked: auths.length, overbooked, mismatches, unknownOutcomes };
  return {
    service: {
      ...median.service,
      // Exhausted retries of any round count against the case.
      exhausted503: rounds.reduce((n, r) => n + r.service.exhausted503, 0),
      metrics: { ...median.service.metrics, failures: rounds.reduce((n, r) => n + (r.service.metrics.failures ?? 0), 0) },
      integrity,
    },
    pgbench: median.pgbench,
    ratio: median.ratio,
    rounds: rounds.map((r) => ({ okPerSec: r.service.okPerSec, tps: r.pgbench?.tps ?? null, ratio: r.ratio })),
  };
}

const pgbenchOptions = ({ bin, databaseUrl }, c) => ({
  bin, databaseUrl, clients: c.clients, threads: opts['pgbench-threads'], maxTries: opts['max-tries'], protocol: opts['pgbench-protocol'],
  idExpr: c.spread ? `random(1, ${SPREAD_AUTHORIZATIONS})` : '1',
});

async function pgbenchWarmup(pg, c) {
  await pgbench.resetSchema(pg.databaseUrl);
  log(`[${c.name} pgbench] warm-up ${opts.warmup}s…`);
  await pgbench.runPgbench({ ...pgbenchOptions(pg, c), durationSec: Math.max(1, Math.round(opts.warmup)) });
}

async function benchPgbench(pg, c, seconds, round) {
  await pgbench.resetSchema(pg.databaseUrl);
  log(`[${c.name} pgbench] round ${round}: measuring ${seconds}s…`);
  const stopMachineCpu = startMachineCpu();
  const r = await pgbench.runPgbench({ ...pgbenchOptions(pg, c), durationSec: seconds });
  const machineCpu = stopMachineCpu();
  const totals = await pgbench.schemaTotals(pg.databaseUrl);
  return { ...r, machineCpu, reconciles: totals.ledgerRows === r.processed && totals.scheduled === r.processed, totals };
}

runMain(async () => {
  const cases = opts.cases.split(',').map((s) => s.trim()).filter(Boolean);
  for (const name of cases) if (!BENCH_CASES[name]) throw new Error(`unknown case ${name} (${Object.keys(BENCH_CASES).join(', ')})`);
  if (!Number.isInteger(opts.rounds) || opts.rounds < 1) throw new Error('--rounds must be a whole number, at least 1');
  const dir = await createReportDir('bench');
  const perCase = opts.duration * 2 + opts.warmup * 2 + 30 + opts.rounds * 5;
  const stack = await prepareStack({ target: opts.target, runSeconds: perCase * cases.length, logDir: dir });
  log(`target: ${stack.describe}`);

  const bin = pgbench.findPgbench(opts.pgbench);
  let pgbenchSkipped = null;
  if (!stack.databaseUrl) pgbenchSkipped = 'no database URL: with --target, set DATABASE_URL to the service’s database';
  else if (!bin) pgbenchSkipped = 'no pgbench binary found (use --pgbench or PGBENCH)';

  const api = createApi(createLeanHttpClient(stack.baseUrl));
  const adminToken = await api.login(stack.adminEmail, stack.adminPassword);
  const tag = newRunTag();
  const orgRow = await api.createOrganization(adminToken, `Bench (loadtest ${tag})`);
  const org = { id: orgRow.id, short: 'Bench' };
  let spreadAuths = [];
  if (cases.some((n) => BENCH_CASES[n].spread && !BENCH_CASES[n].byPatient)) {
    log(`creating ${SPREAD_AUTHORIZATIONS} authorizations of ${BENCH_TOTAL_UNITS} units…`);
    const specs = Array.from({ length: SPREAD_AUTHORIZATIONS }, () => ({ org, totalUnits: BENCH_TOTAL_UNITS, pool: 'spread' }));
    spreadAuths = await createAuthorizations(api, adminToken, specs, tag);
  }
  if (!pgbenchSkipped) await pgbench.setupSchema(stack.databaseUrl, SPREAD_AUTHORIZATIONS);

  const results = [];
  for (const name of cases) {
    const c = BENCH_CASES[name];
    const measured = await benchCase(api, adminToken, org, c, spreadAuths, tag, pgbenchSkipped ? null : { bin, databaseUrl: stack.databaseUrl });
    results.push({ case: c, ...measured });
    log(`[${c.name}] median of ${opts.rounds} rounds: service ${measured.service.okPerSec} ok/s, pgbench ${measured.pgbench ? measured.pgbench.tps.toFixed(1) : '—'} tps, ratio ${measured.ratio?.toFixed(2) ?? '—'} (rounds: ${measured.rounds.map((r) => r.ratio?.toFixed(2) ?? '—').join(', ')})`);
  }
  if (!pgbenchSkipped) await pgbench.dropSchema(stack.databaseUrl);
  api.http.close();

  const report = {
    tool: 'unit-ledger bench',
    generatedAt: new Date().toISOString(),
    environment: { node: process.version, loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '?', stack: stack.describe, pgbench: bin, pgbenchSkipped },
    options: { ...opts, roundSeconds },
    results,
  };
  const files = await writeReport(dir, 'Unit Ledger capacity bench', buildBenchBlocks(report), report);
  console.log(`\n${benchTable(report)}`);
  console.log(`\nReport: ${files.md}\n        ${files.html}\n        ${files.json}`);
  return 0;
});
