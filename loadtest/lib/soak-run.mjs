// Runs the soak (npm run loadtest -- --soak MINUTES): seeds its data set, sends the scenario 3 mix
// open loop through a keep-alive client that reuses idle sockets like a load balancer, samples the
// service's memory at the end of every interval, then checks integrity and decides (lib/soak.mjs).
import os from 'node:os';
import { createApi } from './api.mjs';
import { createLeanHttpClient } from './lean-http-client.mjs';
import { newRunTag, seedSoakDataset } from './seed.mjs';
import { createDriver } from './scenarios.mjs';
import { runOpenLoop } from './open-loop.mjs';
import { memoryFromMetrics, unitMetricsDelta } from './metrics.mjs';
import { checkViaApi, checkViaSql } from './integrity.mjs';
import { probeIdleClose } from './keepalive-probe.mjs';
import { createIntervals, evaluateSoak, mb, memoryTrend, SOAK_SCENARIO, soakPractitionersPerOrg, soakTotalUnits } from './soak.mjs';

/** The SUPER_ADMIN seeds everything; its own limit is 6,000 requests/minute (SPEC §6). */
const MAX_AUTHORIZATIONS = 5000;
/** Transport errors listed one by one: this many on reused sockets, and as many on new connections. */
const TRANSPORT_ERROR_DETAILS = 50;

async function scrape(api) {
  try {
    return await api.metricsText();
  } catch (err) {
    console.error(`warning: ${err.message}`);
    return '';
  }
}

const loadAverage1 = () => Math.round(os.loadavg()[0] * 100) / 100;

export async function runSoak({ api, baseUrl, adminToken, rate, durationSec, intervalSec, organizations, users, authorizations, clientIdleSec, maxRssGrowthPct, databaseUrl, log = console.error }) {
  if (authorizations > MAX_AUTHORIZATIONS) throw new Error(`--authorizations at most ${MAX_AUTHORIZATIONS}: the admin that seeds them may send 6,000 requests/minute`);
  const tag = newRunTag();
  const perOrg = soakPractitionersPerOrg({ rate, users, organizations });
  const totalUnits = soakTotalUnits({ rate, durationSec, authorizations });
  const seedStarted = Date.now();
  log(`soak: seeding ${organizations} organizations × ${perOrg} practitioners, ${authorizations} authorizations of ${totalUnits} units…`);
  const dataset = await seedSoakDataset(api, adminToken, { tag, organizations, practitionersPerOrg: perOrg, authorizations, totalUnits });
  const seedSeconds = Math.round((Date.now() - seedStarted) / 100) / 10;
  log(`soak: seeded in ${seedSeconds} s`);
  dataset.tokens.startAutoRefresh();

  // The measured traffic has a client of its own; seeding, /metrics and the checks use `api`.
  const loadHttp = createLeanHttpClient(baseUrl, { maxIdleMs: clientIdleSec * 1000 });
  const driver = createDriver(SOAK_SCENARIO, dataset, createApi(loadHttp));
  const intervals = createIntervals(intervalSec);
  const intervalCount = Math.ceil(durationSec / intervalSec);
  const sampleMemory = async (index) => {
    const memory = memoryFromMetrics(await scrape(api));
    intervals.recordMemory(index, { ...memory, loadAverage1: loadAverage1() });
  };
  const memorySamples = [];
  const sampled = new Set();
  const transportErrors = { reused: [], fresh: [] };

  const before = await scrape(api);
  const memoryAtStart = memoryFromMetrics(before);
  // Runs alongside the load on a connection of its own; waits 5 s past the client's idle limit.
  const keepAliveProbe = probeIdleClose(baseUrl, { maxWaitMs: (clientIdleSec + 5) * 1000 });
  const run = await runOpenLoop({
    label: 'soak',
    rate,
    durationSec,
    act: driver.act,
    isError: driver.isError,
    // At each interval's end (the last one's after every answer is in).
    onSecond: (sec) => {
      const index = Math.floor(sec / intervalSec) - 1;
      if (index < 0 || index >= intervalCount - 1 || sampled.has(index)) return;
      sampled.add(index);
      memorySamples.push(sampleMemory(index));
    },
    onResponse: (res, t) => {
      intervals.record(res, t);
      const list = res.reusedSocket ? transportErrors.reused : transportErrors.fresh;
      if (!res.status && list.length < TRANSPORT_ERROR_DETAILS) {
        list.push({ second: Math.round(t.dueSec * 1000) / 1000, op: res.op, code: res.errorCode ?? 'UNKNOWN', error: res.error, reusedSocket: res.reusedSocket ?? null, idleMs: res.idleMs ?? null });
      }
    },
  });
  await Promise.all(memorySamples);
  await sampleMemory(intervalCount - 1);
  const connections = loadHttp.stats();
  loadHttp.close();
  const keepAlive = { clientIdleSec, probe: await keepAliveProbe };
  const after = await scrape(api);
  dataset.tokens.stopAutoRefresh();

  log('soak: checking integrity…');
  const expectations = driver.expectations(run.byOp);
  const metrics = unitMetricsDelta(before, after);
  const integrity = await checkViaApi(api, dataset, driver.clientState);
  const sql = await checkViaSql(databaseUrl);
  const perInterval = intervals.summary();
  const memory = memoryTrend(perInterval, maxRssGrowthPct);
  const evaluation = evaluateSoak({ run, intervals: perInterval, memory, expectations, metrics, integrity, sql, keepAlive });
  return {
    id: 'soak',
    name: SOAK_SCENARIO.name,
    description: SOAK_SCENARIO.description,
    seedSummary: `${organizations} organizations × ${perOrg} practitioners (${organizations * perOrg} users, ~${Math.round((rate / (organizations * perOrg)) * 10) / 10} requests/s each), ${authorizations} authorizations of ${totalUnits} units round-robin over them, tag ${tag}; seeded through the API in ${seedSeconds} s`,
    intervalSec,
    clientIdleSec,
    connections,
    keepAlive,
    memoryAtStart: { rssMb: mb(memoryAtStart.rssBytes), heapUsedMb: mb(memoryAtStart.heapUsedBytes) },
    tokenRefreshes: dataset.tokens.refreshes,
    run,
    intervals: perInterval,
    transportErrors: [...transportErrors.reused, ...transportErrors.fresh].sort((a, b) => a.second - b.second),
    memory,
    expectations,
    metrics,
    integrity,
    sql,
    evaluation,
  };
}
