#!/usr/bin/env node
// Fault injection under load + history checker (issue 4, points 1 and 2).
//
//   node resilience/run.mjs            full form: each fault a few minutes
//   node resilience/run.mjs --short    CI form (under ~3 minutes in all)
//
// One private embedded PostgreSQL for the run; per fault a fresh database and two service
// instances on it; seeded through the API; closed-loop clients with an Idempotency-Key on
// every request record a history while the fault is injected; the checker then verifies the
// history against the database. Last line: `N passed, M failed`; exit 1 on any failure.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { parseCli } from '../loadtest/lib/cli-args.mjs';
import { runMain } from '../loadtest/lib/cleanup.mjs';
import { startPostgres } from './lib/postgres.mjs';
import { ServiceInstance, snapshotDist, readiness, waitReady } from './lib/instances.mjs';
import { History, ResilientClient } from './lib/history.mjs';
import { mulberry32, seed, startClients, expiryBurst } from './lib/workload.mjs';
import { terminateBackends, restartPostgres, killInstances } from './lib/faults.mjs';
import { runChecker, CHECKS } from './lib/checker.mjs';
import { createApi } from '../loadtest/lib/api.mjs';
import { createHttpClient } from '../loadtest/lib/http-client.mjs';
import { subscribeWebhooks } from '../loadtest/lib/webhook-load.mjs';
import { runSelfTest } from './lib/selftest.mjs';
import { startFlakyProxy } from './lib/flaky-proxy.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const FAULTS = {
  none: 'no fault (control)',
  a: 'pg_terminate_backend on the service\u2019s connections at random moments',
  b: 'PostgreSQL stopped (fast / immediate) and restarted with requests in flight',
  c: 'SIGKILL of a service instance mid-load, then restart',
  d: 'two instances sweeping many near-expiry reservations at once',
};

const opts = parseCli(
  {
    short: { type: 'boolean', help: 'CI form: ~20 s of load per fault' },
    faults: { type: 'string', default: 'a,b,c,d', help: 'which faults, comma-separated (a,b,c,d,none)' },
    duration: { type: 'number', help: 'seconds of load per fault (default 20 with --short, 150 otherwise)' },
    clients: { type: 'number', default: 12, help: 'closed-loop clients (one PRACTITIONER each)' },
    seed: { type: 'number', help: 'PRNG seed for the clients\u2019 and faults\u2019 choices (default: random)' },
    'timeout-ms': { type: 'number', default: 2000, help: 'client-side timeout per HTTP attempt' },
    'no-selftest': { type: 'boolean', help: 'skip the checker self-test' },
    'no-net-faults': { type: 'boolean', help: 'clients talk to the instances directly, without the flaky proxy (connections cut before/after the answer, answers delayed past the client timeout)' },
  },
  'node resilience/run.mjs [--short] [--faults a,b,c,d] [--duration S]',
);

function log(msg) {
  process.stderr.write(`[${new Date().toISOString().slice(11, 23)}] ${msg}\n`);
}

function pad(s, n, right = false) {
  s = String(s);
  return right ? s.padStart(n) : s.padEnd(n);
}

function table(headers, rows) {
  const widths = headers.map((h, i) => Math.max(String(h).length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => pad(c, widths[i], i > 0)).join(' | ')} |`;
  return [line(headers), `|${widths.map((w, i) => (i > 0 ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function scalar(url, sql, params = []) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows[0];
  } finally {
    await c.end();
  }
}

async function runPhase(fault, ctx) {
  const { server, runDir, tag, rng, durationMs, short } = ctx;
  const phaseTag = `${tag}${fault}`;
  const database = `ul_res_${fault}_${tag}`;
  const databaseUrl = await server.createDatabase(database);
  const adminEmail = `res-admin-${phaseTag}@resilience.example.com`;
  const adminPassword = crypto.randomBytes(18).toString('base64url');
  const env = {
    DATABASE_URL: databaseUrl,
    JWT_SECRET: ctx.jwtSecret,
    JWT_EXPIRES_IN: '6h',
    BOOTSTRAP_ADMIN_EMAIL: adminEmail,
    BOOTSTRAP_ADMIN_PASSWORD: adminPassword,
    EXPIRY_SWEEP_INTERVAL_MS: '200',
    LOG_LEVEL: 'log',
    NO_COLOR: '1',
    NODE_ENV: 'development',
    SHUTDOWN_GRACE_MS: '500', // end-of-phase stop: no need for the 10 s drain of a rolling update
    // SPEC §11: every event is delivered to this harness's loopback receiver whatever the fault.
    WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true',
    WEBHOOK_POLL_INTERVAL_MS: '200',
  };
  const instances = ['A', 'B'].map((name) => new ServiceInstance({ name, mainJs: ctx.mainJs, env: { ...env, DATA_DIR: path.join(runDir, `data-${fault}-${name}`) }, logDir: path.join(runDir, `logs-${fault}`) }));
  log(`[${fault}] ${FAULTS[fault]}: database ${database}, starting instances A and B…`);
  for (const inst of instances) await inst.start();
  log(`[${fault}] A ${instances[0].baseUrl}, B ${instances[1].baseUrl}; seeding…`);
  const seedData = await seed({ baseUrl: instances[0].baseUrl, adminEmail, adminPassword, tag: phaseTag, clients: ctx.clients });
  const hooksApi = createApi(createHttpClient(instances[0].baseUrl, { timeoutMs: 30000 }));
  const hooks = await subscribeWebhooks(hooksApi, seedData.adminToken, seedData.orgs, phaseTag);
  const history = new History(fault);
  // Clients reach each instance through a flaky proxy: some requests get an unknown outcome
  // (connection cut before or after the service answered, answer delayed past the timeout).
  const proxies = ctx.netFaults ? await Promise.all(instances.map((target) => startFlakyProxy({ target, rng }))) : null;
  const client = new ResilientClient({
    instances: proxies ?? instances,
    history,
    timeoutMs: ctx.timeoutMs,
    retryBudgetMs: 30000,
    abandonProbability: 0.15,
    rng,
  });

  log(`[${fault}] ${ctx.clients} clients for ${durationMs / 1000} s with the fault…`);
  const load = startClients({
    seedData,
    client,
    history,
    tag: phaseTag,
    durationMs,
    rng,
    expiringFraction: fault === 'd' ? 0.5 : 0.1,
    expiresInMs: fault === 'd' ? [500, 3000] : [1000, 3000],
  });
  const until = load.stopAt;
  let faultTask = Promise.resolve({ kind: fault, events: 0, windows: [] });
  let burstTask = Promise.resolve(null);
  if (fault === 'a') faultTask = terminateBackends({ adminUrl: server.adminUrl, database, rng, until, log });
  if (fault === 'b') faultTask = restartPostgres({ pg: server, instances, rng, until, gapMs: short ? [2500, 4000] : [5000, 10000], log });
  if (fault === 'c') faultTask = killInstances({ instances, rng, until, gapMs: short ? [2500, 4000] : [4000, 8000], log });
  if (fault === 'd') {
    burstTask = (async () => {
      const bursts = [];
      const count = short ? 300 : 600;
      // Several bursts over the run, so expirations keep coming while both instances sweep.
      while (Date.now() + 6000 < until) {
        bursts.push(await expiryBurst({ seedData, client, history, tag: `${phaseTag}-b${bursts.length}`, count, expireInMs: 4000, rng }));
        log(`[d] burst ${bursts.length}: ${bursts.at(-1).created} reservations expiring together, ${bursts.at(-1).racers} release/consume racing the sweep`);
        await sleep(short ? 2000 : 8000);
      }
      return bursts;
    })();
  }
  const progress = setInterval(() => {
    const s = history.stats();
    log(`[${fault}] ${Math.round((Date.now() - (until - durationMs)) / 1000)} s: ${s.requests} requests, ${s.ack} 2xx, ${s.s503} 503, ${s.unknownAttempts} unanswered attempts, in flight ${load.inflight()}`);
  }, 5000);
  let faultResult;
  let bursts;
  try {
    [, faultResult, bursts] = await Promise.all([load.done, faultTask, burstTask]);
  } finally {
    clearInterval(progress);
  }
  client.close();
  const net = { cutBefore: 0, cutAfter: 0, delayed: 0 };
  for (const p of proxies ?? []) {
    for (const k of Object.keys(net)) net[k] += p.stats[k];
    await p.close();
  }

  // After the load: the database must be up again, and every instance ready without help
  // (fault c restarts its victim itself: that is the restart the fault consists of).
  if (!server.running) await server.start();
  const endReadiness = {};
  for (const inst of instances) {
    try {
      endReadiness[inst.name] = inst.alive ? (await waitReady(inst.baseUrl, { timeoutMs: 30000 })) && 200 : 'dead';
    } catch {
      endReadiness[inst.name] = await readiness(inst.baseUrl);
    }
  }

  // Let every reservation with an expiresAt come due, and the sweepers catch up.
  const expiries = history.records.filter((r) => r.op === 'reserve' && !r.hostile && r.body?.expiresAt).map((r) => Date.parse(r.body.expiresAt));
  const lastExpiry = Math.max(0, ...expiries);
  if (lastExpiry) await sleep(Math.max(0, lastExpiry + 500 - Date.now()));
  const sweepStart = Date.now();
  let pending = null;
  for (let i = 0; i < 300; i++) {
    pending = (await scalar(databaseUrl, `select count(*)::int as n from reservations where status = 'SCHEDULED' and expires_at <= now()`)).n;
    if (pending === 0) break;
    await sleep(100);
  }
  const sweepLagMs = Date.now() - sweepStart;
  await sleep(500);

  // Every event written since the webhooks were registered reaches the receiver (at least once),
  // across killed connections, PostgreSQL restarts and SIGKILLed instances (a lease left by a
  // killed instance expires after 30 s and another instance retries).
  const webhooks = await hooks.finish({ timeoutSec: 150, log: () => {} });
  hooksApi.http.close();
  log(`[${fault}] checking ${history.records.length} requests against the database…`);
  const check = await runChecker({ databaseUrl, records: history.records, seedAuthorizations: seedData.authorizations, expiryGraceMs: 3000 });

  // Phase checks beyond the history checker.
  const extra = [];
  const add = (name, ok, detail) => extra.push({ name, ok, detail });
  add('instances-ready-at-end', Object.values(endReadiness).every((s) => s === 200), `readiness at the end: ${JSON.stringify(endReadiness)}`);
  const dbWindows = fault === 'a' || fault === 'b' ? faultResult.windows : [];
  const graceMs = 3000;
  const inWindow = (t) => dbWindows.some((w) => t >= w.from - 100 && t <= w.to + graceMs) || (fault === 'a' && t <= until + graceMs);
  const stray503 = [];
  for (const r of history.records) for (const a of r.attempts) if (a.status === 503 && a.code !== 'CONTENTION_RETRY_EXHAUSTED' && !inWindow(a.t1)) stray503.push(`${r.op} ${r.key} ${a.instance} ${a.code} at ${new Date(a.t0).toISOString()}`);
  add('no-database-503-outside-fault-windows', stray503.length === 0, stray503.length ? `${stray503.length}: ${stray503.slice(0, 5).join('; ')}` : 'none');
  add('expired-reservations-swept', pending === 0, `${pending} still SCHEDULED after their expiresAt; sweep caught up ${sweepLagMs} ms after the last expiry`);
  const logLines = instances.flatMap((i) => i.grepLog(/→ 5\d\d|INTERNAL_ERROR/).map((l) => `${i.name}: ${l}`));
  const log500 = logLines.filter((l) => !/→ 503/.test(l));
  add(
    'webhooks-every-event-delivered',
    webhooks.missing === 0 && webhooks.badSignatures === 0 && webhooks.expected > 0,
    `${webhooks.expected - webhooks.missing} of ${webhooks.expected} events delivered (${webhooks.duplicates} redeliveries), ${webhooks.badSignatures} bad signatures, lag p50 ${webhooks.lagMs.p50} ms p99 ${webhooks.lagMs.p99} ms max ${webhooks.lagMs.max} ms`,
  );
  add('no-500-in-service-logs', log500.length === 0, log500.length ? log500.slice(0, 3).join(' / ') : `no 500 (${logLines.length} 503 lines logged)`);
  let readinessCell = endReadiness.A === 200 && endReadiness.B === 200 ? 'ready at end' : 'NOT ready at end';
  if (fault === 'a') add('fault-injected', faultResult.terminated > 0, `${faultResult.events} events (${faultResult.eventsAll} all backends, ${faultResult.eventsOne} one backend), ${faultResult.terminated} backends terminated`);
  if (fault === 'b') {
    const evs = faultResult.restarts;
    const pairs = evs.flatMap((e) => Object.entries(e.perInstance).map(([n, p]) => ({ n, ...p, mode: e.mode })));
    const seen = pairs.filter((p) => p.saw503 && p.said200WhileDown === 0).length;
    const rec = pairs.filter((p) => p.recoveredMs !== null).length;
    const maxRec = Math.max(0, ...pairs.map((p) => p.recoveredMs ?? Infinity));
    add('fault-injected', evs.length > 0, `${evs.length} restarts (${evs.filter((e) => e.mode === 'fast').length} fast, ${evs.filter((e) => e.mode === 'immediate').length} immediate), outages ${evs.map((e) => e.outageMs).join('/')} ms`);
    add('readiness-503-while-database-down', evs.length > 0 && seen === pairs.length, `${seen}/${pairs.length} (instance × outage) said 503 and never 200 while the database was down; samples ${pairs.map((p) => `${p.n}:${p.samplesDuringOutage}`).join(' ')}`);
    add('readiness-recovered-by-itself', evs.length > 0 && rec === pairs.length, `${rec}/${pairs.length} back to 200 without action; max ${maxRec} ms after PostgreSQL was up`);
    readinessCell = `503 seen ${seen}/${pairs.length}, recovered ${rec}/${pairs.length} (max ${maxRec} ms)`;
  }
  if (fault === 'c') {
    const ks = faultResult.kills;
    add('fault-injected', ks.length > 0, `${ks.length} SIGKILLs (${ks.map((k) => k.instance).join('')})`);
    add('killed-instance-restarted-ready', ks.length > 0 && ks.every((k) => k.readyMs !== null), ks.map((k) => `${k.instance}: ${k.readyMs ?? k.error} ms`).join(', '));
    add('other-instance-ready-during-kill', ks.every((k) => k.othersReadyDuringKill.every((s) => s === 200)), ks.map((k) => k.othersReadyDuringKill.join('/')).join(', '));
    readinessCell = `${ks.filter((k) => k.readyMs !== null).length}/${ks.length} restarted ready; other ready ${ks.filter((k) => k.othersReadyDuringKill.every((s) => s === 200)).length}/${ks.length}`;
  }
  let expiredBy = null;
  if (fault === 'd') {
    expiredBy = Object.fromEntries(
      instances.map((i) => [i.name, i.grepLog(/expired \d+ reservation/).reduce((s, l) => s + Number(/expired (\d+) reservation/.exec(l)[1]), 0)]),
    );
    const info = check.checks['expiry-exactly-once'].info;
    const created = (bursts ?? []).reduce((s, b) => s + b.created, 0);
    add('fault-injected', created > 0 && info.expired > 0, `${(bursts ?? []).length} bursts, ${created} burst reservations; ${info.expired} EXPIRED in all; expired by A ${expiredBy.A}, by B ${expiredBy.B}`);
    add('both-instances-swept', expiredBy.A > 0 && expiredBy.B > 0 && expiredBy.A + expiredBy.B === info.expired, `A ${expiredBy.A} + B ${expiredBy.B} = ${expiredBy.A + expiredBy.B} (EXPIRE entries: ${info.expired})`);
    readinessCell = `${readinessCell}; expired A ${expiredBy.A} / B ${expiredBy.B}`;
  }

  const stats = history.stats();
  history.save(path.join(runDir, `history-${fault}.json`));
  await Promise.all(instances.map((inst) => inst.stop()));
  const faultsInjected = fault === 'd' ? (bursts ?? []).length : faultResult.events;
  return { fault, database, databaseUrl, seedData, history, stats, faultResult, bursts, check, extra, readinessCell, faultsInjected, expiredBy, sweepLagMs, net };
}

async function main() {
  const short = !!opts.short;
  const durationMs = (opts.duration ?? (short ? 20 : 150)) * 1000;
  const faults = opts.faults.split(',').map((s) => s.trim()).filter(Boolean);
  for (const f of faults) if (!FAULTS[f]) throw new Error(`unknown fault ${f}`);
  const seedValue = opts.seed ?? crypto.randomInt(1, 2 ** 31);
  const rng = mulberry32(seedValue);
  const tag = Date.now().toString(36);
  const runDir = path.join(HERE, 'reports', `${new Date().toISOString().replace(/[:.]/g, '-')}-${short ? 'short' : 'full'}`);
  fs.mkdirSync(runDir, { recursive: true });
  const started = Date.now();
  const mainJs = await snapshotDist(runDir, log);
  log(`resilience run (${short ? 'short' : 'full'}): faults ${faults.join(',')}, ${durationMs / 1000} s each, ${opts.clients} clients, seed ${seedValue}; reports in ${path.relative(process.cwd(), runDir)}`);
  const server = await startPostgres({ log: () => {} });
  log(`embedded PostgreSQL on port ${server.port} (${server.root})`);
  const ctx = { netFaults: !opts['no-net-faults'], mainJs, server, runDir, tag, rng, durationMs, short, clients: opts.clients, timeoutMs: opts['timeout-ms'], jwtSecret: crypto.randomBytes(48).toString('base64url') };

  const phases = [];
  let selfTest = null;
  for (const fault of faults) {
    const p = await runPhase(fault, ctx);
    phases.push(p);
    log(`[${fault}] ${p.check.violations} checker violations; ${p.extra.filter((e) => !e.ok).length} failed phase checks`);
    if (!selfTest && !opts['no-selftest']) {
      log(`checker self-test on the database and history of fault ${fault} (doctored copies, rolled back):`);
      selfTest = await runSelfTest({ databaseUrl: p.databaseUrl, records: p.history.records, seedAuthorizations: p.seedData.authorizations, log });
    }
  }

  // ---- report ----
  const results = [];
  const out = [];
  out.push('');
  out.push(`Resilience run (${short ? 'short' : 'full'}), ${new Date().toISOString()}, seed ${seedValue}, ${opts.clients} clients, ${durationMs / 1000} s of load per fault, 2 instances, client timeout ${opts['timeout-ms']} ms`);
  out.push('');
  const headers = ['fault', 'requests', 'HTTP sent', '2xx', '409', '503', 'hostile 400', 'other', 'unknown-outcome retried', 'of which replayed', 'unresolved (abandoned)', 'faults injected', 'net cut/cut/delay', 'violations', 'readiness'];
  const rows = phases.map((p) => {
    const s = p.stats;
    const violations = p.check.violations + p.extra.filter((e) => !e.ok).length;
    const u = p.check.checks['unknown-at-most-once'].info;
    return [p.fault, s.requests, s.attempts, s.ack, s.s409, s.s503, s.hostile400, s.other, s.unknownRetried, u.resolvedReplayed, `${s.unknownFinal} (${s.abandoned})`, p.faultsInjected, `${p.net.cutBefore}/${p.net.cutAfter}/${p.net.delayed}`, violations, p.readinessCell];
  });
  const sums = rows.map((r) => r);
  const tot = (i) => sums.reduce((a, r) => a + Number(r[i]), 0);
  const netTot = (k) => phases.reduce((a, p) => a + p.net[k], 0);
  rows.push(['total', tot(1), tot(2), tot(3), tot(4), tot(5), tot(6), tot(7), tot(8), tot(9), phases.reduce((a, p) => a + p.stats.unknownFinal, 0), tot(11), `${netTot('cutBefore')}/${netTot('cutAfter')}/${netTot('delayed')}`, tot(13), '']);
  out.push(table(headers, rows));
  out.push('');
  for (const p of phases) {
    const c = p.check.counts;
    out.push(`fault ${p.fault} — ${FAULTS[p.fault]} (${c.reservations} reservations, ${c.ledgerEntries} ledger entries, ${c.authorizations} authorizations, ${c.lines} lines, ${c.capBuckets} cap buckets)`);
    const m = p.check.checks['moves-and-scheduling'].info;
    out.push(`  SPEC §10 mix: moves ${m.moves} (${m.acknowledged} 200, refused ${JSON.stringify(m.refused)}, ${m.unknown} unknown outcome; ${m.applied} applied), ${m.reservationsMoved} reservations moved (revision up to ${m.maxRevision}); scheduling by patient ${m.scheduled} (${m.scheduledAck} 201, ${m.scheduledRefused} refused)${p.stats.byCode ? `; 409 by code ${JSON.stringify(p.stats.byCode)}` : ''}`);
    for (const [name, c] of Object.entries(p.check.checks)) {
      const ok = c.violations.length === 0;
      results.push({ phase: p.fault, name, ok });
      const info = Object.keys(c.info).length ? `  ${JSON.stringify(c.info)}` : '';
      out.push(`  ${ok ? 'PASS' : 'FAIL'} ${name}: ${ok ? CHECKS[name] : `${c.violations.length} violation(s)`}${info}`);
      for (const v of c.violations.slice(0, 5)) out.push(`       - ${v.message}${v.detail ? `  ${JSON.stringify(v.detail).slice(0, 600)}` : ''}`);
    }
    for (const e of p.extra) {
      results.push({ phase: p.fault, name: e.name, ok: e.ok });
      out.push(`  ${e.ok ? 'PASS' : 'FAIL'} ${e.name}: ${e.detail}`);
    }
  }
  if (selfTest) {
    const detected = selfTest.results.filter((r) => r.detected).length;
    results.push({ phase: 'self-test', name: 'checker-self-test', ok: selfTest.passed });
    out.push(`checker self-test — ${detected}/${selfTest.results.length} doctored cases detected, baseline violations ${selfTest.baselineViolations}`);
    for (const r of selfTest.results) out.push(`  ${r.detected ? 'PASS' : 'FAIL'} ${r.name} → ${r.fired.join(', ') || 'nothing'}${r.error ? ` (error: ${r.error})` : ''}`);
  }
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  const totalViolations = phases.reduce((a, p) => a + p.check.violations, 0);
  out.push('');
  out.push(`requests sent: ${tot(1)} (${tot(2)} HTTP attempts); faults injected: ${tot(11)} (+ ${netTot('cutBefore') + netTot('cutAfter') + netTot('delayed')} connections cut or delayed); violations found: ${totalViolations}; 500s: ${phases.reduce((a, p) => a + p.stats.s500, 0)}; wall time ${Math.round((Date.now() - started) / 1000)} s`);
  out.push(`${passed} passed, ${failed} failed`);
  const text = out.join('\n');
  console.log(text);
  fs.writeFileSync(path.join(runDir, 'summary.txt'), `${text}\n`);
  fs.writeFileSync(
    path.join(runDir, 'report.json'),
    JSON.stringify(
      {
        short,
        seed: seedValue,
        durationMs,
        clients: opts.clients,
        phases: phases.map((p) => ({ fault: p.fault, net: p.net, stats: p.stats, faultResult: p.faultResult, bursts: p.bursts, checks: p.check.checks, counts: p.check.counts, extra: p.extra, expiredBy: p.expiredBy, sweepLagMs: p.sweepLagMs })),
        selfTest,
        passed,
        failed,
      },
      null,
      1,
    ),
  );
  return failed === 0 ? 0 : 1;
}

runMain(main);
