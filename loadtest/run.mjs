#!/usr/bin/env node
// npm run loadtest -- [--scenario 1|2|3|all] [--rate N] [--duration S] [--target URL]
// npm run loadtest -- --soak MINUTES [--rate N] [--interval S] [--target URL]
import os from 'node:os';
import { parseCli } from './lib/cli-args.mjs';
import { runMain } from './lib/cleanup.mjs';
import { prepareStack } from './lib/stack.mjs';
import { createLeanHttpClient } from './lib/lean-http-client.mjs';
import { createApi } from './lib/api.mjs';
import { SCENARIOS } from './lib/scenarios.mjs';
import { runScenario } from './lib/run-scenario.mjs';
import { createReportDir, writeReport } from './lib/report-files.mjs';
import { buildLoadtestBlocks } from './lib/loadtest-report.mjs';
import { warmUp } from './lib/warmup.mjs';
import { defaultIntervalSec, SOAK_DEFAULTS } from './lib/soak.mjs';
import { runSoak } from './lib/soak-run.mjs';
import { buildSoakBlocks } from './lib/soak-report.mjs';

const opts = parseCli(
  {
    scenario: { type: 'string', default: 'all', help: 'which SPEC §9 scenario: 1, 2, 3 or all' },
    'no-webhooks': { type: 'boolean', default: false, help: 'scenario 3 without its webhook receiver (always without against --target)' },
    rate: { type: 'number', help: 'arrivals per second (default: the scenario’s own: 50, 40, 10)' },
    duration: { type: 'number', help: 'seconds (default: the scenario’s own: 60, 300, 600)' },
    target: { type: 'string', help: 'base URL of a running service (needs ADMIN_EMAIL/ADMIN_PASSWORD); default: start one' },
    warmup: { type: 'number', default: 3000, min: 0, help: 'requests sent before measuring, on a separate data set (0: none); see lib/warmup.mjs' },
    'service-db': { type: 'boolean', default: false, help: 'when starting the service without DATABASE_URL, let it start its own embedded database (no SQL checks)' },
    soak: { type: 'number', help: `soak mode: the scenario 3 mix for MINUTES at --rate (default ${SOAK_DEFAULTS.rate}/s), figures per interval` },
    interval: { type: 'number', help: 'soak: seconds per interval (default: 30, or a twentieth of a shorter soak, at least 5)' },
    authorizations: { type: 'number', default: SOAK_DEFAULTS.authorizations, help: 'soak: authorizations seeded' },
    organizations: { type: 'number', default: SOAK_DEFAULTS.organizations, help: 'soak: organizations they are spread over' },
    users: { type: 'number', default: SOAK_DEFAULTS.users, help: 'soak: practitioners sending the traffic, spread over the organizations' },
    'client-idle': { type: 'number', default: SOAK_DEFAULTS.clientIdleSec, help: 'soak: seconds an idle keep-alive socket is still reused (a load balancer’s idle timeout)' },
    'max-rss-growth': { type: 'number', default: SOAK_DEFAULTS.maxRssGrowthPct, min: 0, help: 'soak: percent the service’s RSS may grow from the end of the first interval to the end of the last' },
  },
  'Usage: node loadtest/run.mjs [options]   (npm run loadtest -- [options])',
);

runMain(() => (opts.soak ? soak() : scenarios()));

async function scenarios() {
  const ids = opts.scenario === 'all' ? [1, 2, 3] : [Number(opts.scenario)];
  if (!ids.every((id) => SCENARIOS[id])) throw new Error(`--scenario must be 1, 2, 3 or all (got ${opts.scenario})`);
  const plan = ids.map((id) => ({ scenario: SCENARIOS[id], rate: opts.rate ?? SCENARIOS[id].rate, duration: opts.duration ?? SCENARIOS[id].duration }));
  const totalSeconds = plan.reduce((a, p) => a + p.duration, 0);

  const dir = await createReportDir(`loadtest-s${opts.scenario}`);
  // A self-started service may deliver webhooks to this process's loopback receiver (scenario 3).
  const stack = await prepareStack({ target: opts.target, runSeconds: totalSeconds, logDir: dir, serviceOwnsDb: opts['service-db'], serviceEnv: { WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true' } });
  console.error(`target: ${stack.describe}`);
  const api = createApi(createLeanHttpClient(stack.baseUrl));
  const adminToken = await api.login(stack.adminEmail, stack.adminPassword);

  const warmup = await warmUp({ api, adminToken, requests: opts.warmup });
  const scenarios = [];
  for (const p of plan) {
    const webhooks = !opts['no-webhooks'] && stack.mode !== 'target';
    const s = await runScenario({ api, adminToken, scenario: p.scenario, rate: p.rate, duration: p.duration, databaseUrl: stack.databaseUrl, webhooks });
    scenarios.push(s);
    const l = s.run.latency;
    console.error(`scenario ${s.id}: ${s.evaluation.verdict}  outcomes ${JSON.stringify(s.run.outcomes)}  p50 ${l.p50} p95 ${l.p95} p99 ${l.p99} max ${l.max} ms`);
    for (const c of s.evaluation.criteria.filter((x) => !x.pass)) console.error(`  FAIL ${c.name}: ${c.value} (limit ${c.limit})`);
  }
  api.http.close();

  const report = {
    tool: 'unit-ledger loadtest',
    generatedAt: new Date().toISOString(),
    environment: { node: process.version, loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100), platform: `${os.platform()} ${os.release()}`, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '?', stack: stack.describe, mode: stack.mode },
    options: opts,
    verdict: scenarios.every((s) => s.evaluation.go) ? 'GO' : 'NO-GO',
    warmup,
    scenarios,
  };
  const files = await writeReport(dir, `Unit Ledger load test — ${report.verdict}`, buildLoadtestBlocks(report), report);
  console.log(`\nVerdict: ${report.verdict}`);
  console.log(`Report: ${files.md}\n        ${files.html}\n        ${files.json}`);
  return report.verdict === 'GO' ? 0 : 2;
}

const round2 = (x) => Math.round(x * 100) / 100;

async function soak() {
  if (opts.scenario !== 'all' || opts.duration !== undefined) throw new Error('--soak takes its length in minutes and runs its own mix: no --scenario or --duration');
  const durationSec = Math.round(opts.soak * 60);
  const rate = opts.rate ?? SOAK_DEFAULTS.rate;
  const dir = await createReportDir('soak');
  const stack = await prepareStack({ target: opts.target, runSeconds: durationSec, logDir: dir, serviceOwnsDb: opts['service-db'] });
  console.error(`target: ${stack.describe}`);
  const api = createApi(createLeanHttpClient(stack.baseUrl));
  const adminToken = await api.login(stack.adminEmail, stack.adminPassword);
  const warmup = await warmUp({ api, adminToken, requests: opts.warmup });
  const loadAverageAtStart = os.loadavg().map(round2);
  const result = await runSoak({
    api,
    baseUrl: stack.baseUrl,
    adminToken,
    rate,
    durationSec,
    intervalSec: opts.interval ?? defaultIntervalSec(durationSec),
    organizations: opts.organizations,
    users: opts.users,
    authorizations: opts.authorizations,
    clientIdleSec: opts['client-idle'],
    maxRssGrowthPct: opts['max-rss-growth'],
    databaseUrl: stack.databaseUrl,
  });
  api.http.close();
  const ev = result.evaluation;
  console.error(`soak: ${ev.verdict}  outcomes ${JSON.stringify(result.run.outcomes)}  transport errors ${ev.transport.total}  RSS ${result.memory.firstMb} → ${result.memory.lastMb} MB (max ${result.memory.maxMb})`);
  for (const c of ev.criteria.filter((x) => !x.pass)) console.error(`  FAIL ${c.name}: ${c.value} (limit ${c.limit})`);

  const report = {
    tool: 'unit-ledger loadtest --soak',
    generatedAt: new Date().toISOString(),
    environment: { node: process.version, loadAverageAtStart, loadAverageAtEnd: os.loadavg().map(round2), platform: `${os.platform()} ${os.release()}`, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '?', stack: stack.describe, mode: stack.mode },
    options: opts,
    verdict: ev.verdict,
    warmup,
    soak: result,
  };
  const files = await writeReport(dir, `Unit Ledger soak — ${report.verdict}`, buildSoakBlocks(report), report);
  console.log(`\nVerdict: ${report.verdict}`);
  console.log(`Report: ${files.md}\n        ${files.html}\n        ${files.json}`);
  return ev.go ? 0 : 2;
}
