#!/usr/bin/env node
// End-to-end check of ops/ against a real Prometheus (Debian package `prometheus`, 2.42):
//
//  1. promtool: check rules, test rules, check config (the generated scrape config);
//  2. starts PostgreSQL (embedded, or DATABASE_URL), TWO service instances on it (same
//     JWT_SECRET) and a private Prometheus scraping both every second with ops/prometheus/rules.yml;
//  3. a short load with forced contention: both instances reserve on ONE authorization at once,
//     while an outside writer updates that authorization's row in its own SERIALIZABLE transactions
//     (one instance queues same-authorization work in its lanes, two collide in PostgreSQL and
//     retry), plus consumes/releases and readiness probes;
//  4. reads the retry counters, the recorded retry rate, the units moved (unit_units_total) and
//     readiness (unit_ledger_ready, 1 on both) back through Prometheus's HTTP API and compares
//     them with what the instances' /metrics (and the load's own count of units) say;
//  4b. webhooks (SPEC §11): a signature-checking receiver on loopback that answers 500 to some first
//     attempts and to every attempt of one event (WEBHOOK_MAX_ATTEMPTS=2: given up), registered for
//     authorization.created; 40 authorizations created; the receiver's own count of answers equals
//     webhook_deliveries_total{outcome} on /metrics and through Prometheus, the lag histogram counts
//     every delivery, outbox_pending_events drains to 0, WebhookDeliveriesGivenUp fires, the other
//     webhook alerts stay inactive;
//  5. `promtool check metrics` on the live /metrics;
//  6. readiness failing for real: SIGTERM to instance B (readiness 503 and unit_ledger_ready 0
//     during its shutdown grace period), the gauge and the 503 probes read back through
//     Prometheus, UnitLedgerInstanceNotReady pending for B only; once B has exited, its gauge is
//     stale, up == 0 and UnitLedgerDown pending for B;
//  7. runs every PromQL expression of the Grafana dashboard (and its variable queries) against
//     this Prometheus: each must succeed and return data.
//
// Usage: node ops/e2e/prometheus-e2e.mjs     (env: PROMETHEUS_BIN, PROMTOOL_BIN, DATABASE_URL,
//        LOAD_SECONDS (default 15), KEEP_PROMETHEUS_LOG=1)
// Prints one line per check; last line "N passed, M failed"; exit code 1 on any failure.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import YAML from 'yaml';
import { runMain, onCleanup } from '../../loadtest/lib/cleanup.mjs';
import { startEmbeddedPostgres } from '../../loadtest/lib/embedded-db.mjs';
import { startService } from '../../loadtest/lib/service.mjs';
import http from 'node:http';
import { createHttpClient } from '../../loadtest/lib/http-client.mjs';
import { createApi } from '../../loadtest/lib/api.mjs';
import { parsePrometheus } from '../../loadtest/lib/metrics.mjs';
import { freePort, stopChild, waitFor200 } from '../../test/support/processes.cjs';

const OPS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RULES = path.join(OPS, 'prometheus', 'rules.yml');
const RULE_TESTS = path.join(OPS, 'prometheus', 'rules.test.yml');
const EXAMPLE_CONFIG = path.join(OPS, 'prometheus', 'prometheus.yml');
const DASHBOARD = path.join(OPS, 'grafana', 'dashboards', 'unit-ledger.json');
const PROVISIONING = path.join(OPS, 'grafana', 'provisioning');
const PROMETHEUS = process.env.PROMETHEUS_BIN || '/usr/bin/prometheus';
const PROMTOOL = process.env.PROMTOOL_BIN || '/usr/bin/promtool';
const LOAD_SECONDS = Number(process.env.LOAD_SECONDS || 15);
const JOB = 'unit-ledger';
const GRACE_MS = 8000;
const MOVEMENTS = ['reserve', 'consume', 'release', 'expire'];

const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
const info = (msg) => console.log(`info   ${msg}`);
const progress = (msg) => console.error(`[${elapsed()}] ${msg}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const results = [];
function check(name, ok, detail) {
  results.push(Boolean(ok));
  console.log(`${ok ? 'ok    ' : 'NOT OK'} ${name}${detail === undefined ? '' : `: ${detail}`}`);
  return Boolean(ok);
}

function run(cmd, args, input) {
  const res = spawnSync(cmd, args, { input, encoding: 'utf8', timeout: 60000 });
  return { code: res.status, out: `${res.stdout ?? ''}${res.stderr ?? ''}`.trim(), error: res.error };
}
const indent = (text) => text.split('\n').map((l) => `         ${l}`).join('\n');

// ---------------------------------------------------------------- Prometheus process + API
async function startPrometheus(configText) {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'ul-prometheus-'));
  const configFile = path.join(dir, 'prometheus.yml');
  await fsp.writeFile(configFile, configText);
  const port = await freePort();
  const logFile = path.join(dir, 'prometheus.log');
  const out = fs.openSync(logFile, 'a');
  const child = spawn(
    PROMETHEUS,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--storage.tsdb.retention.time=1h',
      '--log.level=warn',
    ],
    { stdio: ['ignore', out, out] },
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await stopChild(child, 10000);
    fs.closeSync(out);
    if (process.env.KEEP_PROMETHEUS_LOG) console.error(`prometheus log kept: ${logFile}`);
    else await fsp.rm(dir, { recursive: true, force: true });
  };
  onCleanup('prometheus', stop);
  progress(`prometheus starting: pid ${child.pid}, ${baseUrl}, data in ${dir}`);
  await waitFor200(`${baseUrl}/-/ready`, { child, timeoutMs: 30000, intervalMs: 200, why: () => fs.readFileSync(logFile, 'utf8').slice(-2000) });
  return { baseUrl, pid: child.pid, configFile, logFile, stop };
}

function promApi(baseUrl) {
  async function get(pathname, params = {}) {
    const url = new URL(pathname, baseUrl);
    for (const [k, v] of Object.entries(params)) {
      for (const one of [].concat(v)) url.searchParams.append(k, String(one));
    }
    const res = await fetch(url);
    const body = await res.json().catch(() => ({ status: 'error', error: `HTTP ${res.status}, not JSON` }));
    return { http: res.status, ...body };
  }
  return {
    get,
    /** Instant query; returns { ok, result, error, warnings }. */
    async query(expr, time) {
      const r = await get('/api/v1/query', time === undefined ? { query: expr } : { query: expr, time });
      return { ok: r.status === 'success', result: r.data?.result ?? [], resultType: r.data?.resultType, error: r.error, warnings: r.warnings ?? [] };
    },
    async queryRange(expr, start, end, step) {
      const r = await get('/api/v1/query_range', { query: expr, start, end, step });
      return { ok: r.status === 'success', result: r.data?.result ?? [], error: r.error, warnings: r.warnings ?? [] };
    },
    /** Value of a single-sample instant query (NaN when empty). */
    async scalar(expr) {
      const r = await this.query(expr);
      if (!r.ok) throw new Error(`query failed: ${expr}: ${r.error}`);
      if (r.resultType === 'scalar') return Number(r.result[1]);
      return r.result.length ? Number(r.result[0].value[1]) : NaN;
    },
  };
}

// ---------------------------------------------------------------- Grafana dashboard helpers
/** Every panel (rows' nested panels included). */
function allPanels(dashboard) {
  const out = [];
  const walk = (list) => {
    for (const p of list ?? []) {
      out.push(p);
      if (p.panels) walk(p.panels);
    }
  };
  walk(dashboard.panels);
  return out;
}

/** Grafana variables → concrete values for this Prometheus (selectors use =~). */
function substitute(expr, { rateInterval, range }) {
  const out = expr
    .replaceAll('$__rate_interval', rateInterval)
    .replaceAll('${__rate_interval}', rateInterval)
    .replaceAll('$__range', range)
    .replaceAll('${__range}', range)
    .replaceAll('$__interval', '2s')
    .replace(/\$\{?job\}?/g, JOB)
    .replace(/\$\{?instance\}?/g, '.*');
  return out;
}

// ---------------------------------------------------------------- webhook receiver
/**
 * A webhook receiver on loopback that checks Unit-Ledger-Signature (HMAC-SHA256 over "<t>.<raw body>",
 * t within 300 s) and fails on purpose: every attempt of the first event it sees (→ given up after
 * WEBHOOK_MAX_ATTEMPTS=2), and the first attempt of every 5th event after it (→ retried, then
 * delivered). Counts its answers and the events it accepted.
 */
async function startWebhookReceiver() {
  const state = { secret: null, order: new Map(), attempts: new Map(), delivered: new Map(), answers: { 204: 0, 500: 0, 400: 0 }, badSignatures: 0 };
  const verify = (header, raw) => {
    const parts = String(header ?? '').split(',').map((p) => p.trim().split('='));
    const t = parts.find(([k]) => k === 't')?.[1];
    if (!state.secret || !/^\d+$/.test(t ?? '') || Math.abs(Date.now() / 1000 - Number(t)) > 300) return false;
    const expected = crypto.createHmac('sha256', state.secret).update(`${t}.`).update(raw).digest();
    return parts.some(([k, v]) => k === 'v1' && /^[0-9a-f]{64}$/.test(v) && crypto.timingSafeEqual(Buffer.from(v, 'hex'), expected));
  };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const answer = (status) => {
        state.answers[status]++;
        res.writeHead(status).end();
      };
      if (!verify(req.headers['unit-ledger-signature'], raw)) {
        state.badSignatures++;
        return answer(400);
      }
      const event = JSON.parse(raw.toString('utf8'));
      if (!state.order.has(event.id)) state.order.set(event.id, state.order.size);
      const k = state.order.get(event.id);
      const attempt = (state.attempts.get(event.id) ?? 0) + 1;
      state.attempts.set(event.id, attempt);
      if (k === 0 || (k % 5 === 0 && attempt === 1)) return answer(500);
      state.delivered.set(event.id, event);
      return answer(204);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  onCleanup('webhook receiver', close);
  return { port: server.address().port, state, close };
}

// ---------------------------------------------------------------- load
function countInto(map, res) {
  const key = res.status === 0 ? 'network error' : `${res.status}${res.code ? ` ${res.code}` : ''}`;
  map[key] = (map[key] ?? 0) + 1;
}

/**
 * Another writer on the hot authorization, outside the service: short SERIALIZABLE transactions
 * that read and update its row. The instances serialize their own work on an authorization
 * (lanes, and advisory locks across instances), so this is what makes their transactions fail
 * with 40001 and retry, as a batch job or a second application writing to the table would.
 */
async function outsideWriter(databaseUrl, hotId, end) {
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', () => {});
  await client.connect();
  let committed = 0;
  while (Date.now() < end) {
    try {
      await client.query('begin isolation level serializable');
      await client.query('select scheduled_units from authorizations where id = $1', [hotId]);
      await client.query("update authorizations set notes = 'touched by an outside writer' where id = $1", [hotId]);
      await client.query('commit');
      committed++;
    } catch {
      await client.query('rollback').catch(() => {});
    }
    await sleep(2);
  }
  await client.end();
  return committed;
}

async function contentionLoad({ apis, token, hotId, mixId, seconds, databaseUrl }) {
  const outcomes = { reserveHot: {}, mix: {}, probes: {} };
  // Units the clients saw committed (2xx), by movement: what unit_units_total must count.
  const units = { reserve: 0, consume: 0, release: 0 };
  const end = Date.now() + seconds * 1000;
  // 6 workers per instance hammering the same authorization, reserving 1 unit at a time.
  const hammer = async (api) => {
    while (Date.now() < end) {
      const res = await api.reserve(token, hotId, 1);
      countInto(outcomes.reserveHot, res);
      if (res.status === 201) units.reserve += 1;
    }
  };
  // reserve → consume or release on another authorization, alternating instances, so the
  // consume/release series carry data too.
  const mixer = async (k) => {
    for (let i = 0; Date.now() < end; i++) {
      const a = apis[(i + k) % 2];
      const b = apis[(i + k + 1) % 2];
      const r = await a.reserve(token, mixId, 2);
      countInto(outcomes.mix, r);
      if (r.status !== 201) continue;
      units.reserve += 2;
      const id = r.body.reservation.id;
      const next = i % 2 ? await b.consume(token, id, 2) : await b.release(token, id);
      countInto(outcomes.mix, next);
      if (next.status === 200) units[i % 2 ? 'consume' : 'release'] += 2;
    }
  };
  // The orchestrator: a readiness probe per instance every 500 ms.
  const prober = async () => {
    while (Date.now() < end) {
      for (const api of apis) countInto(outcomes.probes, await api.http.request('GET', '/health/ready'));
      await sleep(500);
    }
  };
  const [outsideCommits] = await Promise.all([
    outsideWriter(databaseUrl, hotId, end),
    ...apis.flatMap((api) => Array.from({ length: 6 }, () => hammer(api))),
    mixer(0),
    mixer(1),
    prober(),
  ]);
  return { ...outcomes, units, outsideCommits };
}

const sumOf = (samples, name, filter = {}) =>
  samples.filter((s) => s.name === name && Object.entries(filter).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);
const pct = (x) => `${(x * 100).toFixed(2)}%`;

// ---------------------------------------------------------------- main
runMain(async () => {
  for (const bin of [PROMETHEUS, PROMTOOL]) {
    if (!fs.existsSync(bin)) {
      check(`${bin} installed (apt-get install prometheus)`, false, 'missing');
      console.log(`${results.filter(Boolean).length} passed, ${results.filter((x) => !x).length} failed`);
      return 1;
    }
  }
  info(run(PROMETHEUS, ['--version']).out.split('\n')[0]);

  // 1. Static checks with promtool -------------------------------------------------------
  let r = run(PROMTOOL, ['check', 'rules', RULES]);
  check('promtool check rules ops/prometheus/rules.yml', r.code === 0, r.out.split('\n').filter((l) => /SUCCESS|FAILED|error/i.test(l)).join('; '));
  r = run(PROMTOOL, ['test', 'rules', RULE_TESTS]);
  if (!check('promtool test rules ops/prometheus/rules.test.yml', r.code === 0, r.code === 0 ? 'SUCCESS' : `exit ${r.code}`)) console.log(indent(r.out));
  r = run(PROMTOOL, ['check', 'config', EXAMPLE_CONFIG]);
  check('promtool check config ops/prometheus/prometheus.yml (example)', r.code === 0, r.code === 0 ? 'SUCCESS' : r.out);

  const rulesDoc = YAML.parse(fs.readFileSync(RULES, 'utf8'));
  const recordNames = rulesDoc.groups.flatMap((g) => g.rules.filter((x) => x.record).map((x) => x.record));
  const alertNames = rulesDoc.groups.flatMap((g) => g.rules.filter((x) => x.alert).map((x) => x.alert));
  const testsDoc = YAML.parse(fs.readFileSync(RULE_TESTS, 'utf8'));
  const alertCases = new Map(alertNames.map((a) => [a, { fires: 0, silent: 0 }]));
  for (const t of testsDoc.tests) {
    for (const a of t.alert_rule_test ?? []) {
      const c = alertCases.get(a.alertname);
      if (c) (a.exp_alerts?.length ? c.fires++ : c.silent++);
    }
  }
  const uncovered = [...alertCases].filter(([, c]) => !c.fires || !c.silent).map(([a]) => a);
  check('every alert has a unit test where it fires and one where it does not', uncovered.length === 0, uncovered.length ? `missing: ${uncovered.join(', ')}` : `${alertNames.length} alerts: ${alertNames.join(', ')}`);

  const dashboard = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8'));
  const panels = allPanels(dashboard).filter((p) => p.type !== 'row');
  const targets = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, refId: t.refId, expr: t.expr, datasource: t.datasource ?? p.datasource })));
  const ids = allPanels(dashboard).map((p) => p.id);
  check('dashboard: valid JSON, uid, unique panel ids, every target has an expr', dashboard.uid && new Set(ids).size === ids.length && targets.every((t) => t.expr), `${panels.length} panels, ${targets.length} PromQL targets`);
  check(
    'dashboard: provisioning-ready (no __inputs, id null/absent, every datasource is ${datasource})',
    !dashboard.__inputs && (dashboard.id === undefined || dashboard.id === null) && targets.every((t) => t.datasource?.uid === '${datasource}'),
  );
  const provisioned = ['dashboards/unit-ledger.yml', 'datasources/prometheus.yml'].map((f) => YAML.parse(fs.readFileSync(path.join(PROVISIONING, f), 'utf8')));
  check('grafana provisioning files parse (apiVersion 1, one provider, one datasource)', provisioned.every((d) => d.apiVersion === 1) && provisioned[0].providers?.length === 1 && provisioned[1].datasources?.[0]?.type === 'prometheus');

  // 2. Database, two service instances, Prometheus -------------------------------------------
  let databaseUrl = process.env.DATABASE_URL || null;
  if (!databaseUrl) {
    progress('starting a private embedded PostgreSQL…');
    databaseUrl = (await startEmbeddedPostgres()).url;
  }
  const adminEmail = `prom-e2e-${crypto.randomBytes(3).toString('hex')}@e2e.example.com`;
  const adminPassword = crypto.randomBytes(18).toString('base64url');
  const serviceEnv = {
    JWT_SECRET: crypto.randomBytes(32).toString('hex'), // the same key on both instances
    RATE_LIMIT_USER_PER_MINUTE: '1000000', // one test user sends far more than 100 requests/s
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
    // Step 4b: the receiver listens on http://127.0.0.1; one event is given up after 2 attempts.
    WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true',
    WEBHOOK_MAX_ATTEMPTS: '2',
    WEBHOOK_POLL_INTERVAL_MS: '200',
  };
  const start = (n, env) => startService({ databaseUrl, adminEmail, adminPassword, jwtExpiresIn: '60m', log: progress, extraEnv: { ...serviceEnv, ...env } }).then((s) => ({ ...s, n }));
  const a = await start('A', { SHUTDOWN_GRACE_MS: '0' }); // sequential: the first one migrates and creates the admin
  // B is stopped with SIGTERM in step 5: readiness answers 503 at once, /metrics is still served
  // for SHUTDOWN_GRACE_MS — a real "readiness failing" for Prometheus to see.
  const b = await start('B', { SHUTDOWN_GRACE_MS: String(GRACE_MS) });
  const instances = [a, b];
  const targetOf = (s) => `127.0.0.1:${s.port}`;

  const scrapeConfig = {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: [RULES],
    scrape_configs: [
      {
        job_name: JOB,
        metrics_path: '/metrics',
        ...(process.env.METRICS_TOKEN ? { authorization: { type: 'Bearer', credentials: process.env.METRICS_TOKEN } } : {}),
        static_configs: [{ targets: instances.map(targetOf) }],
      },
    ],
  };
  const prometheus = await startPrometheus(YAML.stringify(scrapeConfig));
  r = run(PROMTOOL, ['check', 'config', prometheus.configFile]);
  check('promtool check config (the generated 1 s scrape config with ops/prometheus/rules.yml)', r.code === 0, r.code === 0 ? 'SUCCESS' : r.out);
  const prom = promApi(prometheus.baseUrl);

  let upCount = 0;
  for (const deadline = Date.now() + 20000; Date.now() < deadline; await sleep(250)) {
    upCount = await prom.scalar(`sum(up{job="${JOB}"})`);
    if (upCount === 2) break;
  }
  check('Prometheus scrapes both instances (up == 1)', upCount === 2, `sum(up) = ${upCount}`);

  // 3. Seed and load with forced contention ---------------------------------------------------
  const apis = instances.map((s) => createApi(createHttpClient(s.baseUrl)));
  const admin = await apis[0].login(adminEmail, adminPassword);
  const org = await apis[0].createOrganization(admin, `Prometheus e2e ${crypto.randomBytes(2).toString('hex')}`);
  const practitioner = { email: `practitioner-${crypto.randomBytes(3).toString('hex')}@e2e.example.com`, password: crypto.randomBytes(18).toString('base64url') };
  await apis[0].createUser(admin, { ...practitioner, role: 'PRACTITIONER', organizationId: org.id });
  const token = await apis[1].login(practitioner.email, practitioner.password); // valid on both (same JWT_SECRET)
  const today = new Date().toISOString().slice(0, 10);
  const inAYear = new Date(Date.now() + 365 * 86400000).toISOString().slice(0, 10);
  const mkAuth = (n, totalUnits) =>
    apis[0].createAuthorization(admin, { organizationId: org.id, patientId: `PAT-E2E-${n}`, payer: 'Aetna', authNumber: `AUTH-E2E-${n}-${crypto.randomBytes(3).toString('hex').toUpperCase()}`, serviceCode: '97153', totalUnits, startDate: today, endDate: inAYear });
  const hot = await mkAuth(1, 1000000);
  const mix = await mkAuth(2, 1000000);

  const loadStart = Date.now() / 1000;
  progress(`load: ${LOAD_SECONDS} s, 12 workers reserving on ONE authorization through both instances, 2 reserve→consume/release workers, readiness probes`);
  const outcomes = await contentionLoad({ apis, token, hotId: hot.id, mixId: mix.id, seconds: LOAD_SECONDS, databaseUrl });
  const loadEnd = Date.now() / 1000;
  info(`hot-authorization reserves: ${JSON.stringify(outcomes.reserveHot)}`);
  info(`reserve→consume/release: ${JSON.stringify(outcomes.mix)}`);
  info(`readiness probes: ${JSON.stringify(outcomes.probes)}`);
  const unexpected = Object.keys({ ...outcomes.reserveHot, ...outcomes.mix }).filter((k) => !/^(200|201|503 CONTENTION_RETRY_EXHAUSTED)$/.test(k));
  check('load: every answer is 200/201 or 503 CONTENTION_RETRY_EXHAUSTED', unexpected.length === 0, unexpected.length ? unexpected.join(', ') : undefined);

  // 4. What /metrics says, then the same numbers through Prometheus ---------------------------
  // Counters no longer move (no load, no expiring reservations). Read /metrics, then wait until
  // Prometheus has scraped both instances after that read and evaluated the rules once more.
  const metricsTexts = await Promise.all(apis.map((api) => api.metricsText()));
  const readAt = Date.now() / 1000;
  const samples = metricsTexts.map(parsePrometheus);
  const direct = {
    retries: samples.reduce((acc, s) => acc + sumOf(s, 'unit_transaction_retries_total'), 0),
    transactions: samples.reduce((acc, s) => acc + sumOf(s, 'unit_transactions_total'), 0),
    failures: samples.reduce((acc, s) => acc + sumOf(s, 'unit_transaction_failures_total'), 0),
    perInstance: samples.map((s) => ({ retries: sumOf(s, 'unit_transaction_retries_total'), transactions: sumOf(s, 'unit_transactions_total') })),
    units: Object.fromEntries(MOVEMENTS.map((m) => [m, samples.reduce((acc, s) => acc + sumOf(s, 'unit_units_total', { movement: m }), 0)])),
    ready: samples.map((s) => s.filter((x) => x.name === 'unit_ledger_ready').map((x) => x.value)),
  };
  info(`/metrics: unit_units_total ${JSON.stringify(direct.units)}; unit_ledger_ready A ${direct.ready[0]}, B ${direct.ready[1]}; units the clients saw committed ${JSON.stringify(outcomes.units)}`);
  info(`/metrics: A retries ${direct.perInstance[0].retries} / transactions ${direct.perInstance[0].transactions}; B retries ${direct.perInstance[1].retries} / transactions ${direct.perInstance[1].transactions}; failures ${direct.failures}`);
  check('forced contention produced retries (sum of unit_transaction_retries_total on /metrics > 0)', direct.retries > 0, `${direct.retries} retries, ${direct.transactions} transactions`);
  let lastScrape = 0;
  for (const deadline = Date.now() + 15000; Date.now() < deadline; await sleep(250)) {
    lastScrape = await prom.scalar(`min(timestamp(up{job="${JOB}"}))`);
    if (lastScrape > readAt + 1) break;
  }
  await sleep(2500); // two more rule evaluations (1 s interval) on the final samples
  check('Prometheus scraped both instances after the /metrics read', lastScrape > readAt + 1, `last scrape ${(lastScrape - readAt).toFixed(1)} s after the read`);

  const viaProm = {
    retries: await prom.scalar(`sum(unit_transaction_retries_total{job="${JOB}"})`),
    transactions: await prom.scalar(`sum(unit_transactions_total{job="${JOB}"})`),
    failures: await prom.scalar(`sum(unit_transaction_failures_total{job="${JOB}"})`),
  };
  check('Prometheus: sum(unit_transaction_retries_total) = /metrics', viaProm.retries === direct.retries, `${viaProm.retries} vs ${direct.retries}`);
  check('Prometheus: sum(unit_transactions_total) = /metrics', viaProm.transactions === direct.transactions, `${viaProm.transactions} vs ${direct.transactions}`);
  check('Prometheus: sum(unit_transaction_failures_total) = /metrics', viaProm.failures === direct.failures, `${viaProm.failures} vs ${direct.failures}`);

  // Units moved: unit_units_total by movement, through Prometheus = /metrics = what clients saw.
  check('units: /metrics unit_units_total{movement="reserve"} = units of the 201 reserves the load received (> 0)', direct.units.reserve > 0 && direct.units.reserve === outcomes.units.reserve, `${direct.units.reserve} vs ${outcomes.units.reserve}`);
  check('units: /metrics consume and release = units of the 200 consumes / releases the load received', direct.units.consume === outcomes.units.consume && direct.units.release === outcomes.units.release, `consume ${direct.units.consume} vs ${outcomes.units.consume}, release ${direct.units.release} vs ${outcomes.units.release}`);
  const unitsViaProm = {};
  for (const m of MOVEMENTS) unitsViaProm[m] = await prom.scalar(`sum(unit_units_total{job="${JOB}",movement="${m}"})`);
  check('Prometheus: sum(unit_units_total{movement="reserve"}) = sum of both instances\' /metrics', unitsViaProm.reserve === direct.units.reserve, `${unitsViaProm.reserve} vs ${direct.units.reserve}`);
  check('Prometheus: sum(unit_units_total) = /metrics for consume, release, expire too', ['consume', 'release', 'expire'].every((m) => unitsViaProm[m] === direct.units[m]), MOVEMENTS.map((m) => `${m} ${unitsViaProm[m]} vs ${direct.units[m]}`).join(', '));
  const recordedReserveUnits = await prom.scalar(`job_movement:unit_units:rate5m{job="${JOB}",movement="reserve"}`);
  check('recorded job_movement:unit_units:rate5m{movement="reserve"} ≈ reserved units / 300 s (within 5%)', Math.abs(recordedReserveUnits - direct.units.reserve / 300) / (direct.units.reserve / 300) < 0.05, `${recordedReserveUnits.toFixed(4)} vs ${(direct.units.reserve / 300).toFixed(4)} units/s`);

  // Readiness gauge: both instances healthy.
  check('/metrics: unit_ledger_ready is 1 on both instances', direct.ready.every((v) => v.length === 1 && v[0] === 1), `A ${direct.ready[0]}, B ${direct.ready[1]}`);
  const readyViaProm = Object.fromEntries((await prom.query(`unit_ledger_ready{job="${JOB}"}`)).result.map((x) => [x.metric.instance, Number(x.value[1])]));
  check('Prometheus: unit_ledger_ready = 1 for both instances', Object.keys(readyViaProm).length === 2 && instances.every((s) => readyViaProm[targetOf(s)] === 1), JSON.stringify(readyViaProm));
  const readySum = await prom.scalar(`job:unit_ledger_ready:sum{job="${JOB}"}`);
  check('recorded job:unit_ledger_ready:sum = 2 (ready instances of the job)', readySum === 2, String(readySum));

  const directRatio = direct.retries / direct.transactions;
  const recordedRetryRate = await prom.scalar(`job:unit_transaction_retries:rate5m{job="${JOB}"}`);
  const recordedTxRate = await prom.scalar(`job:unit_transactions:rate5m{job="${JOB}"}`);
  const recordedRatio = await prom.scalar(`job:unit_transaction_retries_per_transaction:ratio_rate5m{job="${JOB}"}`);
  const recordedFailureRatio = await prom.scalar(`job:unit_transaction_failures_per_transaction:ratio_rate5m{job="${JOB}"}`);
  console.log(`info   RETRY RATE READ BACK FROM PROMETHEUS: job:unit_transaction_retries:rate5m = ${recordedRetryRate.toFixed(3)} retries/s; job:unit_transactions:rate5m = ${recordedTxRate.toFixed(3)} transactions/s; job:unit_transaction_retries_per_transaction:ratio_rate5m = ${pct(recordedRatio)} (from /metrics: ${direct.retries}/${direct.transactions} = ${pct(directRatio)}); exhausted-retry ratio ${pct(recordedFailureRatio)}`);
  check('recorded retry rate job:unit_transaction_retries:rate5m > 0', recordedRetryRate > 0, `${recordedRetryRate.toFixed(4)}/s`);
  // The whole run lies inside the 5m window and every counter started at 0 before the load, so
  // rate() does not extrapolate below; the recorded ratio equals retries/transactions up to the
  // end-of-window extrapolation, which differs slightly between the two instances.
  const relDiff = Math.abs(recordedRatio - directRatio) / directRatio;
  check('recorded retry ratio = retries / transactions from /metrics (within 5%, scrape timing)', Number.isFinite(recordedRatio) && relDiff < 0.05, `${pct(recordedRatio)} vs ${pct(directRatio)} (${(relDiff * 100).toFixed(2)}% apart)`);
  const expectedRate = direct.retries / (loadEnd - loadStart);
  info(`for scale: ${direct.retries} retries over the ${(loadEnd - loadStart).toFixed(1)} s load = ${expectedRate.toFixed(2)}/s; rate5m averages them over 5 minutes = ${(direct.retries / 300).toFixed(3)}/s`);
  check('recorded retries/s ≈ retries / 300 s (the whole load sits in the 5m window; within 5%)', Math.abs(recordedRetryRate - direct.retries / 300) / (direct.retries / 300) < 0.05, `${recordedRetryRate.toFixed(4)} vs ${(direct.retries / 300).toFixed(4)}`);
  const rangeRatio = await prom.queryRange(`job:unit_transaction_retries_per_transaction:ratio_rate5m{job="${JOB}"}`, loadStart, Date.now() / 1000, 1);
  const rangeValues = rangeRatio.result[0]?.values?.map((v) => Number(v[1])) ?? [];
  check('recorded retry ratio over the load (query_range, 1 s steps) is > 0 at its end', rangeValues.length > 0 && rangeValues.at(-1) > 0, `${rangeValues.filter((v) => v > 0).length} of ${rangeValues.length} points > 0, max ${pct(Math.max(...rangeValues))}, last ${pct(rangeValues.at(-1))}`);

  // Every recording rule evaluated without error and has data from this run.
  const rules = await prom.get('/api/v1/rules');
  const loaded = (rules.data?.groups ?? []).flatMap((g) => g.rules);
  const bad = loaded.filter((x) => x.health !== 'ok' || x.lastError);
  check('Prometheus loaded every rule of rules.yml, all healthy (no evaluation error)', loaded.length === recordNames.length + alertNames.length && bad.length === 0, `${loaded.length} rules${bad.length ? `; unhealthy: ${bad.map((x) => `${x.name}: ${x.lastError}`).join('; ')}` : ''}`);
  const emptyRecords = [];
  for (const name of recordNames) if (!(await prom.query(name)).result.length) emptyRecords.push(name);
  check('every recording rule has a value from this run (route/label selectors match the live series)', emptyRecords.length === 0, emptyRecords.length ? `empty: ${emptyRecords.join(', ')}` : `${recordNames.length} recording rules`);
  const readiness = await prom.query(`job_instance:readiness_probe_failures_per_probe:ratio_rate2m{job="${JOB}"}`);
  check('readiness: failure ratio recorded per instance = 0 (every probe answered 200)', readiness.result.length === 2 && readiness.result.every((x) => Number(x.value[1]) === 0), readiness.result.map((x) => `${x.metric.instance}=${x.value[1]}`).join(', '));
  const p99 = await prom.scalar(`job:reservation_request_duration_seconds:p99_rate5m{job="${JOB}"}`);
  info(`reservation p99 (5m) recorded: ${(p99 * 1000).toFixed(1)} ms (alert bound 250 ms; under forced contention with retries)`);

  // Alerts: their state must follow the recorded values (all have `for:`, so at most pending).
  const alerts = (await prom.get('/api/v1/alerts')).data?.alerts ?? [];
  const stateOf = (name) => alerts.find((x) => x.labels.alertname === name)?.state ?? 'inactive';
  info(`alerts now: ${alerts.length ? alerts.map((x) => `${x.labels.alertname}${x.labels.instance ? `{${x.labels.instance}}` : ''}=${x.state}`).join(', ') : 'none'}`);
  check('UnitLedgerHighRetryRate state follows the recorded ratio (pending iff > 10%)', (stateOf('UnitLedgerHighRetryRate') === 'pending') === recordedRatio > 0.1, `ratio ${pct(recordedRatio)}, alert ${stateOf('UnitLedgerHighRetryRate')}`);
  check('UnitLedgerRetriesExhausted state follows the recorded ratio (pending iff > 1%)', (stateOf('UnitLedgerRetriesExhausted') === 'pending') === recordedFailureRatio > 0.01, `ratio ${pct(recordedFailureRatio)}, alert ${stateOf('UnitLedgerRetriesExhausted')}`);
  check('UnitLedgerReservationLatencyHigh state follows the recorded p99 (pending iff > 250 ms)', (stateOf('UnitLedgerReservationLatencyHigh') === 'pending') === p99 > 0.25, `p99 ${(p99 * 1000).toFixed(1)} ms, alert ${stateOf('UnitLedgerReservationLatencyHigh')}`);
  const quietNames = ['UnitLedgerDown', 'UnitLedgerAbsent', 'UnitLedgerInstanceNotReady', 'UnitLedgerNotReady', 'UnitLedgerReadinessProbesFailing'];
  const quiet = quietNames.filter((n) => stateOf(n) !== 'inactive');
  check(`${quietNames.join(', ')} inactive (both up and ready)`, quiet.length === 0, quiet.join(', ') || undefined);

  // 4b. Webhooks: deliveries, lag, outbox and their alerts, for real -------------------------------
  const WEBHOOK_EVENTS = 40;
  const receiver = await startWebhookReceiver();
  const hookAdmin = { email: `webhook-admin-${crypto.randomBytes(3).toString('hex')}@e2e.example.com`, password: crypto.randomBytes(18).toString('base64url') };
  await apis[0].createUser(admin, { ...hookAdmin, role: 'ADMIN', organizationId: org.id });
  const hookToken = await apis[0].login(hookAdmin.email, hookAdmin.password);
  const registered = await apis[0].http.request('POST', '/api/v1/webhooks', {
    token: hookToken,
    body: { url: `http://127.0.0.1:${receiver.port}/unit-ledger`, events: ['authorization.created'], description: 'prometheus e2e' },
  });
  check('webhook registered: POST /api/v1/webhooks → 201 with its secret', registered.status === 201 && /^whsec_/.test(registered.body?.secret ?? ''), `${registered.status}`);
  receiver.state.secret = registered.body?.secret ?? null;
  const hookAuthIds = new Set();
  for (let i = 0; i < WEBHOOK_EVENTS; i++) hookAuthIds.add((await mkAuth(100 + i, 10)).id);
  progress(`webhooks: ${WEBHOOK_EVENTS} authorizations created; waiting for their deliveries (one given up after 2 attempts)`);
  const settled = () => {
    const st = receiver.state;
    const givenUp = [...st.order].filter(([, k]) => k === 0).map(([id]) => id);
    return st.order.size === WEBHOOK_EVENTS && st.delivered.size === WEBHOOK_EVENTS - 1 && givenUp.length === 1 && st.attempts.get(givenUp[0]) === 2;
  };
  for (const deadline = Date.now() + 60000; Date.now() < deadline && !settled(); await sleep(200));
  const st = receiver.state;
  const seenAuthIds = new Set([...st.delivered.values()].map((e) => e.data?.id));
  const retried = [...st.order].filter(([, k]) => k > 0 && k % 5 === 0).length;
  info(`webhook receiver: ${st.order.size} events seen, ${st.delivered.size} accepted, answers ${JSON.stringify(st.answers)}, bad signatures ${st.badSignatures}`);
  check(`webhooks: all ${WEBHOOK_EVENTS} events reached the receiver; ${WEBHOOK_EVENTS - 1} delivered (${retried} after a 500), 1 given up after 2 attempts`, settled(), `${st.order.size} seen, ${st.delivered.size} delivered`);
  check('webhooks: every delivery carried a valid Unit-Ledger-Signature (raw body, HMAC-SHA256, within 300 s); each accepted event is one of the authorizations created', st.badSignatures === 0 && [...seenAuthIds].every((id) => hookAuthIds.has(id)) && seenAuthIds.size === WEBHOOK_EVENTS - 1, `${st.badSignatures} bad, ${seenAuthIds.size} distinct authorizations`);
  // The receiver's answers are what webhook_deliveries_total must count: 204 → delivered; a 500 →
  // failed, except the last attempt of the given-up event → gave_up.
  const expectedOutcomes = { delivered: st.answers[204], failed: st.answers[500] - 1, gave_up: 1, refused: 0 };
  const hookTexts = (await Promise.all(apis.map((api) => api.metricsText()))).map(parsePrometheus);
  const hookReadAt = Date.now() / 1000;
  const hookDirect = {};
  for (const outcome of Object.keys(expectedOutcomes)) hookDirect[outcome] = hookTexts.reduce((acc, x) => acc + sumOf(x, 'webhook_deliveries_total', { outcome }), 0);
  const lagCountDirect = hookTexts.reduce((acc, x) => acc + sumOf(x, 'webhook_delivery_lag_seconds_count'), 0);
  check('/metrics: webhook_deliveries_total by outcome (both instances) = the receiver\'s answers', JSON.stringify(hookDirect) === JSON.stringify(expectedOutcomes), `${JSON.stringify(hookDirect)} vs ${JSON.stringify(expectedOutcomes)}`);
  check('/metrics: webhook_delivery_lag_seconds_count = delivered', lagCountDirect === expectedOutcomes.delivered, `${lagCountDirect} vs ${expectedOutcomes.delivered}`);
  let hookScrape = 0;
  for (const deadline = Date.now() + 15000; Date.now() < deadline; await sleep(250)) {
    hookScrape = await prom.scalar(`min(timestamp(up{job="${JOB}"}))`);
    if (hookScrape > hookReadAt + 1) break;
  }
  await sleep(2500); // rule evaluations (1 s) on the final samples
  const hookViaProm = {};
  for (const outcome of Object.keys(expectedOutcomes)) hookViaProm[outcome] = await prom.scalar(`sum(webhook_deliveries_total{job="${JOB}",outcome="${outcome}"})`);
  check('Prometheus: sum(webhook_deliveries_total) by outcome = /metrics', JSON.stringify(hookViaProm) === JSON.stringify(hookDirect), JSON.stringify(hookViaProm));
  const lagCountProm = await prom.scalar(`sum(webhook_delivery_lag_seconds_count{job="${JOB}"})`);
  check('Prometheus: sum(webhook_delivery_lag_seconds_count) = delivered', lagCountProm === expectedOutcomes.delivered, `${lagCountProm}`);
  const pending = (await prom.query(`outbox_pending_events{job="${JOB}"}`)).result.map((x) => Number(x.value[1]));
  check('Prometheus: outbox_pending_events = 0 on both instances (every event fanned out)', pending.length === 2 && pending.every((v) => v === 0), JSON.stringify(pending));
  const lagQ = async (q) => prom.scalar(`histogram_quantile(${q}, sum by (le) (rate(webhook_delivery_lag_seconds_bucket{job="${JOB}"}[5m])))`);
  const lagP50 = await lagQ(0.5);
  const lagP99 = await lagQ(0.99);
  info(`WEBHOOK DELIVERY LAG (event → 2xx, retries included) through Prometheus: p50 ${lagP50.toFixed(3)} s, p99 ${lagP99.toFixed(3)} s`);
  const failingRatio = await prom.scalar(`sum(rate(webhook_deliveries_total{job="${JOB}",outcome=~"failed|gave_up|refused"}[5m])) / sum(rate(webhook_deliveries_total{job="${JOB}"}[5m]))`);
  const hookAlerts = (await prom.get('/api/v1/alerts')).data?.alerts ?? [];
  const hookState = (name) => hookAlerts.find((x) => x.labels.alertname === name)?.state ?? 'inactive';
  info(`webhook alerts now: ${['WebhookDeliveriesFailing', 'WebhookDeliveriesGivenUp', 'OutboxBackingUp', 'WebhookDeliveryLagHigh'].map((n) => `${n}=${hookState(n)}`).join(', ')}`);
  check('WebhookDeliveriesGivenUp firing (one delivery given up; the alert has no hold)', hookState('WebhookDeliveriesGivenUp') === 'firing', hookState('WebhookDeliveriesGivenUp'));
  check('WebhookDeliveriesFailing state follows the failing share of attempts (pending iff > 25%)', (hookState('WebhookDeliveriesFailing') === 'pending') === failingRatio > 0.25 && hookState('WebhookDeliveriesFailing') !== 'firing', `${pct(failingRatio)}, alert ${hookState('WebhookDeliveriesFailing')}`);
  check('WebhookDeliveryLagHigh state follows the lag p99 (pending iff > 60 s); OutboxBackingUp inactive', (hookState('WebhookDeliveryLagHigh') === 'pending') === lagP99 > 60 && hookState('OutboxBackingUp') === 'inactive', `p99 ${lagP99.toFixed(3)} s, WebhookDeliveryLagHigh ${hookState('WebhookDeliveryLagHigh')}, OutboxBackingUp ${hookState('OutboxBackingUp')}`);
  await receiver.close();

  // 5. promtool check metrics on the live /metrics --------------------------------------------
  const liveText = await apis[0].metricsText();
  r = run(PROMTOOL, ['check', 'metrics'], liveText);
  if (!check('promtool check metrics on the live /metrics (instance A, after the load)', r.code === 0, r.code === 0 ? 'no problems' : `exit ${r.code}`)) console.log(indent(r.out));
  const ownText = liveText
    .split('\n')
    .filter((l) => /^(# (HELP|TYPE) )?(unit_|http_request_duration_seconds)/.test(l))
    .join('\n');
  r = run(PROMTOOL, ['check', 'metrics'], `${ownText}\n`);
  if (!check('promtool check metrics on the service\'s own series (unit_*, http_request_duration_seconds)', r.code === 0, r.code === 0 ? 'no problems' : `exit ${r.code}`)) console.log(indent(r.out));

  // 6. Readiness failing, for real: SIGTERM to B ------------------------------------------------
  const probesB = {};
  const termAt = Date.now();
  process.kill(b.pid, 'SIGTERM');
  progress(`SIGTERM to instance B (pid ${b.pid}): probing its readiness every 50 ms during its ${GRACE_MS} ms grace period`);
  // The signal is handled asynchronously: probes answered 200 before it are not counted below.
  let before503 = 0;
  for (const deadline = Date.now() + 2000; Date.now() < deadline; await sleep(20)) {
    const res = await apis[1].http.request('GET', '/health/ready');
    if (res.status === 503) {
      countInto(probesB, res);
      break;
    }
    before503++;
  }
  const gaugeB = parsePrometheus(await apis[1].metricsText()).filter((x) => x.name === 'unit_ledger_ready').map((x) => x.value);
  const probeUntil = termAt + GRACE_MS - 3500; // leave B time for scrapes after the last probe
  while (Date.now() < probeUntil) {
    countInto(probesB, await apis[1].http.request('GET', '/health/ready'));
    await sleep(50);
  }
  const probesEnd = Date.now() / 1000;
  info(`instance B readiness probes after SIGTERM: ${JSON.stringify(probesB)} (before the signal was handled: ${before503} × 200)`);
  check('instance B answers 503 NOT_READY to every readiness probe once SIGTERM is handled', Object.keys(probesB).length === 1 && probesB['503 NOT_READY'] > 0, JSON.stringify(probesB));
  check("instance B's /metrics in its grace period: unit_ledger_ready 0", gaugeB.length === 1 && gaugeB[0] === 0, JSON.stringify(gaugeB));
  const bTarget = targetOf(b);
  let bScrape = 0;
  for (const deadline = Date.now() + 3000; Date.now() < deadline; await sleep(200)) {
    bScrape = await prom.scalar(`timestamp(up{job="${JOB}",instance="${bTarget}"} == 1)`);
    if (bScrape > probesEnd + 1) break;
  }
  check('Prometheus scraped B (still serving /metrics in its grace period) after the last probe', bScrape > probesEnd + 1, `${(bScrape - probesEnd).toFixed(1)} s after`);
  await sleep(1500); // rule evaluations on that scrape
  const readyRatios = Object.fromEntries(
    (await prom.query(`job_instance:readiness_probe_failures_per_probe:ratio_rate2m{job="${JOB}"}`)).result.map((x) => [x.metric.instance, Number(x.value[1])]),
  );
  info(`recorded readiness failure ratio (2m): ${JSON.stringify(readyRatios)}`);
  check('recorded readiness failure ratio: B > 50%, A = 0', readyRatios[bTarget] > 0.5 && readyRatios[targetOf(a)] === 0, `B ${pct(readyRatios[bTarget] ?? NaN)}, A ${pct(readyRatios[targetOf(a)] ?? NaN)}`);
  const gaugeGrace = Object.fromEntries((await prom.query(`unit_ledger_ready{job="${JOB}"}`)).result.map((x) => [x.metric.instance, Number(x.value[1])]));
  const readySumGrace = await prom.scalar(`job:unit_ledger_ready:sum{job="${JOB}"}`);
  info(`unit_ledger_ready through Prometheus during B's grace period: ${JSON.stringify(gaugeGrace)}; job:unit_ledger_ready:sum ${readySumGrace}`);
  check('Prometheus: unit_ledger_ready of B (shutdown grace period) = 0, of A = 1', gaugeGrace[bTarget] === 0 && gaugeGrace[targetOf(a)] === 1, `B ${gaugeGrace[bTarget]}, A ${gaugeGrace[targetOf(a)]}`);
  check('recorded job:unit_ledger_ready:sum = 1 (A only)', readySumGrace === 1, String(readySumGrace));
  const alertsNow = async () => (await prom.get('/api/v1/alerts')).data?.alerts ?? [];
  const alertsB = await alertsNow();
  const notReady = alertsB.filter((x) => x.labels.alertname === 'UnitLedgerInstanceNotReady');
  check('UnitLedgerInstanceNotReady (unit_ledger_ready == 0) pending for B only; UnitLedgerNotReady inactive (A is ready)', notReady.length === 1 && notReady[0].labels.instance === bTarget && notReady[0].state === 'pending' && !alertsB.some((x) => x.labels.alertname === 'UnitLedgerNotReady'), notReady.map((x) => `${x.labels.instance}=${x.state}`).join(', ') || 'none');
  const fallbackB = alertsB.filter((x) => x.labels.alertname === 'UnitLedgerReadinessProbesFailing');
  check('UnitLedgerReadinessProbesFailing inactive although B fails its probes (B exports the gauge: no duplicate)', fallbackB.length === 0, fallbackB.map((x) => `${x.labels.instance}=${x.state}`).join(', ') || undefined);
  // B exits at the end of its grace period: the scrape fails, up == 0, UnitLedgerDown pending.
  let downB = null;
  for (const deadline = Date.now() + GRACE_MS + 10000; Date.now() < deadline && !downB; await sleep(250)) {
    downB = (await alertsNow()).find((x) => x.labels.alertname === 'UnitLedgerDown' && x.labels.instance === bTarget) ?? null;
  }
  const upB = await prom.scalar(`up{job="${JOB}",instance="${bTarget}"}`);
  check('after B exits: up == 0 and UnitLedgerDown pending for B', upB === 0 && downB?.state === 'pending', `up ${upB}, UnitLedgerDown ${downB ? downB.state : 'inactive'} ${((Date.now() - termAt) / 1000).toFixed(1)} s after SIGTERM`);
  await sleep(1500); // rule evaluations after the stale marker
  const gaugeGone = (await prom.query(`unit_ledger_ready{job="${JOB}",instance="${bTarget}"}`)).result.length;
  const readySumAfter = await prom.scalar(`job:unit_ledger_ready:sum{job="${JOB}"}`);
  const readinessAfter = (await alertsNow()).filter((x) => ['UnitLedgerInstanceNotReady', 'UnitLedgerNotReady', 'UnitLedgerReadinessProbesFailing'].includes(x.labels.alertname));
  check('after B exits: its unit_ledger_ready is stale, job:unit_ledger_ready:sum = 1, no readiness alert active (B is down, not "not ready")', gaugeGone === 0 && readySumAfter === 1 && readinessAfter.length === 0, `B gauge series ${gaugeGone}, sum ${readySumAfter}, readiness alerts: ${readinessAfter.map((x) => `${x.labels.alertname}{${x.labels.instance ?? ''}}=${x.state}`).join(', ') || 'none'}`);
  // B's series are stale now; its last successful scrape (after the last probe) holds the final count.
  const b503 = await prom.scalar(`sum(last_over_time(http_request_duration_seconds_count{job="${JOB}",instance="${bTarget}",route="/health/ready",status_code="503"}[1m]))`);
  check("Prometheus: B's 503 readiness probes (last scrape) = the probes that got 503", b503 === probesB['503 NOT_READY'], `${b503} vs ${probesB['503 NOT_READY']}`);

  // 7. Every PromQL expression of the dashboard against this Prometheus -----------------------
  const now = Date.now() / 1000;
  const vars = { rateInterval: '5s', range: `${Math.ceil(now - loadStart + 10)}s` };
  for (const t of targets) {
    const expr = substitute(t.expr, vars);
    const leftover = expr.match(/\$\{?[A-Za-z_]+\}?/);
    const instant = await prom.query(expr, loadEnd);
    const range = await prom.queryRange(expr, Math.floor(loadStart), Math.ceil(now), 1);
    const problems = [];
    if (leftover) problems.push(`unsubstituted ${leftover[0]}`);
    if (!instant.ok) problems.push(`instant: ${instant.error}`);
    if (!range.ok) problems.push(`range: ${range.error}`);
    if (instant.warnings.length || range.warnings.length) problems.push(`warnings: ${[...instant.warnings, ...range.warnings].join('; ')}`);
    if (instant.ok && range.ok && (!instant.result.length || !range.result.length)) problems.push('no data');
    check(`dashboard "${t.panel}" ${t.refId}`, problems.length === 0, problems.length ? `${problems.join('; ')} — ${expr}` : `${instant.result.length} series`);
  }
  // Variable queries (Grafana's label_values(metric{selector}, label)) → the label values API.
  for (const v of dashboard.templating.list.filter((x) => x.type === 'query')) {
    const q = typeof v.query === 'string' ? v.query : v.query.query;
    const m = q.match(/^label_values\((.+),\s*(\w+)\)$/);
    if (!m) {
      check(`dashboard variable $${v.name}`, false, `unsupported query ${q}`);
      continue;
    }
    const res = await prom.get(`/api/v1/label/${m[2]}/values`, { 'match[]': substitute(m[1], vars), start: Math.floor(loadStart), end: Math.ceil(now) });
    const values = res.data ?? [];
    const want = v.name === 'job' ? [JOB] : v.name === 'instance' ? instances.map(targetOf) : [];
    check(`dashboard variable $${v.name}: ${q}`, res.status === 'success' && want.every((w) => values.includes(w)) && values.length > 0, `${JSON.stringify(values)}`);
  }

  for (const api of apis) api.http.close();
  info(`done in ${elapsed()}`);
  const failed = results.filter((x) => !x).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  return failed ? 1 : 0;
});
