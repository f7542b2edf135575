import test from 'node:test';
import assert from 'node:assert/strict';
import { createIntervals, defaultIntervalSec, evaluateSoak, keepAliveCriterion, memoryTrend, soakPractitionersPerOrg, soakTotalUnits, transportErrorTotals } from '../lib/soak.mjs';
import { memoryFromMetrics } from '../lib/metrics.mjs';

const MiB = 1048576;

test('answers are summed up per interval of their due time; memory is the sample at the interval’s end', () => {
  const agg = createIntervals(10);
  agg.record({ op: 'reserve', status: 201 }, { dueSec: 0, latencyMs: 4, sendLagMs: 0.5 });
  agg.record({ op: 'reserve', status: 409, code: 'INSUFFICIENT_UNITS' }, { dueSec: 9.999, latencyMs: 2, sendLagMs: 3 });
  agg.record({ op: 'release', status: 0, errorCode: 'ECONNRESET', reusedSocket: true, idleMs: 5001 }, { dueSec: 5, latencyMs: 1, sendLagMs: 0 });
  agg.record({ op: 'consume', status: 503, code: 'CONTENTION_RETRY_EXHAUSTED' }, { dueSec: 5, latencyMs: 3, sendLagMs: 0 });
  agg.record({ op: 'reserve', status: 429, code: 'RATE_LIMITED' }, { dueSec: 10, latencyMs: 8, sendLagMs: 1 });
  agg.record({ op: 'reserve', status: 0, reusedSocket: false }, { dueSec: 25, latencyMs: 60000, sendLagMs: 0 });
  agg.recordMemory(0, { rssBytes: 200 * MiB, heapUsedBytes: 80.25 * MiB, loadAverage1: 1.5 });
  agg.recordMemory(2, { rssBytes: null, heapUsedBytes: null, loadAverage1: 2 });
  const [first, second, third] = agg.summary();
  assert.deepEqual(first, {
    index: 0,
    fromSec: 0,
    toSec: 10,
    requests: 4,
    ok2xx: 1,
    insufficient409: 1,
    refused: 0,
    status5xx: 1,
    outcomes: { 201: 1, '409 INSUFFICIENT_UNITS': 1, 'network error': 1, '503 CONTENTION_RETRY_EXHAUSTED': 1 },
    transportErrors: { ECONNRESET: 1 },
    transportErrorCount: 1,
    transportErrorsOnReusedSocket: 1,
    p50: 2,
    p95: 4,
    p99: 4,
    max: 4,
    maxSendLagMs: 3,
    rssMb: 200,
    heapUsedMb: 80.3,
    loadAverage1: 1.5,
  });
  assert.deepEqual([second.requests, second.refused, second.transportErrorCount, second.p99, second.rssMb, second.loadAverage1], [1, 1, 0, 8, null, null]);
  assert.deepEqual([third.fromSec, third.transportErrors, third.transportErrorsOnReusedSocket, third.rssMb, third.loadAverage1], [20, { UNKNOWN: 1 }, 0, null, 2]);
  assert.deepEqual(transportErrorTotals([first, second, third]), { total: 2, byCode: { ECONNRESET: 1, UNKNOWN: 1 }, onReusedSocket: 1 });
});

test('an interval without answers still gets a row', () => {
  const agg = createIntervals(5);
  agg.record({ op: 'reserve', status: 201 }, { dueSec: 12, latencyMs: 1 });
  const rows = agg.summary();
  assert.deepEqual(rows.map((x) => [x.fromSec, x.requests, x.p99]), [[0, 0, null], [5, 0, null], [10, 1, 1]]);
});

test('interval length, units per authorization and practitioners per organization', () => {
  assert.deepEqual([60, 200, 600, 3600].map(defaultIntervalSec), [5, 10, 30, 30]);
  // 250/s × 600 s × 70% reserves × 5 units over 3,000 authorizations = 175 units each: 1,000 is the floor.
  assert.equal(soakTotalUnits({ rate: 250, durationSec: 600, authorizations: 3000 }), 1000);
  // An hour: 1,050 units each, twice that.
  assert.equal(soakTotalUnits({ rate: 250, durationSec: 3600, authorizations: 3000 }), 2100);
  assert.equal(soakPractitionersPerOrg({ rate: 250, users: 60, organizations: 6 }), 10);
  // 2,000 requests/s over 6 organizations needs 7 users each to stay at 50/s per user.
  assert.equal(soakPractitionersPerOrg({ rate: 2000, users: 6, organizations: 6 }), 7);
});

test('the service’s memory is read from the default process metrics', () => {
  const text = '# HELP process_resident_memory_bytes x\n# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 314572800\nnodejs_heap_size_used_bytes 52428800\nnodejs_heap_size_total_bytes 73400320\n';
  assert.deepEqual(memoryFromMetrics(text), { rssBytes: 300 * MiB, heapUsedBytes: 50 * MiB });
  assert.deepEqual(memoryFromMetrics(''), { rssBytes: null, heapUsedBytes: null });
});

const rows = (rss, heap = rss.map(() => null)) => rss.map((rssMb, index) => ({ index, rssMb, heapUsedMb: heap[index], p99: 10 }));

test('memory: growth from the end of the first sampled interval to the end of the last, against a limit', () => {
  assert.deepEqual(memoryTrend(rows([200, 260, 230, 250], [90, 120, 100, 95]), 25), {
    measured: true,
    samples: 4,
    maxGrowthPct: 25,
    firstInterval: 0,
    firstMb: 200,
    lastMb: 250,
    maxMb: 260,
    growthPct: 25,
    heapFirstMb: 90,
    heapLastMb: 95,
    heapMaxMb: 120,
    pass: true,
  });
  assert.equal(memoryTrend(rows([200, 250.2]), 25).pass, false);
  assert.deepEqual(memoryTrend(rows([null, 300, 270]), 25).growthPct, -10);
  assert.equal(memoryTrend(rows([null, 300, 270]), 25).firstInterval, 1);
  assert.deepEqual(memoryTrend(rows([null, 300, null]), 25), { measured: false, samples: 1, maxGrowthPct: 25, pass: false });
});

// A soak that meets every criterion; each case below breaks exactly one thing.
function passingSoak() {
  const intervals = rows([300, 310]).map((x) => ({ ...x, transportErrors: {}, transportErrorsOnReusedSocket: 0 }));
  return {
    run: { outcomes: { 201: 7000, 200: 3000 }, errors: 0, offeredRate: 250, achievedSendRate: 250 },
    intervals,
    memory: memoryTrend(intervals, 25),
    expectations: { releaseOk: 2000, expectedReleaseOk: 2000, consumeOk: 1000, expectedConsumeOk: 1000 },
    metrics: { present: true, failureRate: 0 },
    integrity: { overbooked: 0, negative: 0, ledgerMismatches: 0, clientMismatches: 0 },
    sql: { available: true, checks: { overbookedRows: { value: 0 } } },
    keepAlive: { clientIdleSec: 60, probe: { status: 200, keepAliveHeader: 'timeout=65', closedAfterMs: null, stillOpenAfterMs: 65000 } },
  };
}
const failing = (result) => result.criteria.filter((c) => !c.pass).map((c) => c.name);

test('a clean soak is GO; its p99 target is shown and not gating', () => {
  const result = evaluateSoak(passingSoak());
  assert.equal(result.verdict, 'GO');
  assert.deepEqual(failing(result), []);
  assert.deepEqual(result.transport, { total: 0, byCode: {}, onReusedSocket: 0 });
  assert.deepEqual(result.targets.map((t) => [t.value, t.pass, t.gating]), [['worst 10 ms', true, false]]);
  const slow = passingSoak();
  slow.intervals[1].p99 = 300.5;
  const slowResult = evaluateSoak(slow);
  assert.equal(slowResult.verdict, 'GO');
  assert.deepEqual(slowResult.targets.map((t) => [t.value, t.pass]), [['worst 300.5 ms', false]]);
});

const breaks = {
  'a 503': (x) => (x.run.outcomes['503 CONTENTION_RETRY_EXHAUSTED'] = 1),
  'a 429': (x) => (x.run.outcomes['429 RATE_LIMITED'] = 1),
  'a 401': (x) => (x.run.outcomes['401 UNAUTHORIZED'] = 1),
  'an unexpected business outcome': (x) => (x.run.errors = 1),
  'a failed release': (x) => (x.expectations.releaseOk = 1999),
  'a failed consume': (x) => (x.expectations.consumeOk = 999),
  'load not delivered': (x) => (x.run.achievedSendRate = 247),
  'an overbooked authorization': (x) => (x.integrity.overbooked = 1),
  'a counter unlike the harness’s bookkeeping': (x) => (x.integrity.clientMismatches = 1),
  'a SQL integrity finding': (x) => (x.sql.checks.overbookedRows.value = 1),
  'metrics missing': (x) => (x.metrics = { present: false }),
  'RSS growing past the limit': (x) => (x.memory = memoryTrend(rows([300, 376]), 25)),
  'RSS not measured': (x) => (x.memory = memoryTrend(rows([300, null]), 25)),
  'a server closing idle sockets after 5 s': (x) => (x.keepAlive.probe = { status: 200, keepAliveHeader: 'timeout=5', closedAfterMs: 5003, stillOpenAfterMs: null }),
  'a keep-alive probe that failed': (x) => (x.keepAlive.probe = { status: null, keepAliveHeader: null, closedAfterMs: null, stillOpenAfterMs: null, error: 'connect ECONNREFUSED' }),
};

for (const [what, apply] of Object.entries(breaks)) {
  test(`soak NO-GO on ${what}`, () => {
    const x = passingSoak();
    apply(x);
    const result = evaluateSoak(x);
    assert.equal(result.verdict, 'NO-GO');
    assert.equal(failing(result).length, 1, `exactly one failing criterion, got ${failing(result)}`);
  });
}

test('one connection reset is NO-GO: a transport error, and not an expected outcome', () => {
  const x = passingSoak();
  x.intervals[1].transportErrors = { ECONNRESET: 1 };
  x.intervals[1].transportErrorsOnReusedSocket = 1;
  x.run.outcomes['network error'] = 1;
  x.run.errors = 1;
  const result = evaluateSoak(x);
  assert.equal(result.verdict, 'NO-GO');
  assert.deepEqual(failing(result), ['Transport errors (no HTTP response: reset, closed, timeout…)', 'Every response is an expected business outcome']);
  assert.equal(result.criteria.find((c) => c.name.startsWith('Transport errors')).value, '1 (ECONNRESET 1; 1 on a reused socket)');
  assert.deepEqual(result.transport, { total: 1, byCode: { ECONNRESET: 1 }, onReusedSocket: 1 });
});

test('keep-alive: the server must keep idle sockets strictly longer than the client reuses them', () => {
  const at = (closedAfterMs) => keepAliveCriterion({ status: 200, keepAliveHeader: 'timeout=65', closedAfterMs, stillOpenAfterMs: null }, 60);
  assert.deepEqual([at(60000).pass, at(60001).pass, at(65004).value], [false, true, 'closed after 65 s (Keep-Alive: timeout=65)']);
  const old = keepAliveCriterion({ status: 200, keepAliveHeader: 'timeout=5', closedAfterMs: 5003, stillOpenAfterMs: null }, 60);
  assert.deepEqual([old.value, old.limit, old.pass], ['closed after 5 s (Keep-Alive: timeout=5)', '> 60 s', false]);
  const open = keepAliveCriterion({ status: 200, keepAliveHeader: null, closedAfterMs: null, stillOpenAfterMs: 65000 }, 60);
  assert.deepEqual([open.value, open.pass], ['still open after 65 s', true]);
  assert.deepEqual(keepAliveCriterion({ status: null, closedAfterMs: null, stillOpenAfterMs: null, error: 'closed before a response' }, 60).value, 'not measured: closed before a response');
});
