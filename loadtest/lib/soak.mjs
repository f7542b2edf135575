// Soak mode (npm run loadtest -- --soak MINUTES): the scenario 3 mix at a steady open-loop rate for
// minutes, summed up per interval (requests, outcomes, transport errors by code, latency, the
// service's memory), and its GO/NO-GO. Pure: no I/O (lib/soak-run.mjs does the running).
import { percentileOf } from './latency.mjs';
import { outcomeKey } from './open-loop.mjs';
import { SCENARIOS } from './scenarios.mjs';
import { countStatuses, crit, failureRateCriterion, integrityCriteria } from './verdict.mjs';

export const SOAK_SCENARIO = {
  ...SCENARIOS[3],
  id: 'soak',
  name: 'Soak',
  description: '70% reserve 5 units (any seeded authorization), 20% release and 10% consume 3 units of a reservation this run created earlier',
};

export const SOAK_DEFAULTS = { rate: 250, authorizations: 3000, organizations: 6, users: 60, clientIdleSec: 60, maxRssGrowthPct: 25 };

/** SPEC §9's threshold for scenarios 2 and 3, shown per interval as a target (not gating). */
const P99_TARGET_MS = 300;

/** 30 s, or a twentieth of a shorter run (at least 5 s). */
export function defaultIntervalSec(durationSec) {
  return Math.max(5, Math.min(30, Math.round(durationSec / 20)));
}

/**
 * Units per authorization so that the run does not use them up: twice what the reserves alone
 * would take from an authorization on average (releases and consumes give some back), in hundreds,
 * at least 1,000. An authorization that still runs out answers 409 INSUFFICIENT_UNITS, an expected
 * business outcome that the report counts.
 */
export function soakTotalUnits({ rate, durationSec, authorizations, mix = SOAK_SCENARIO.mix, units = SOAK_SCENARIO.reserveUnits }) {
  const reservedPerAuthorization = (rate * durationSec * mix.reserve * units) / authorizations;
  return Math.max(1000, Math.ceil((2 * reservedPerAuthorization) / 100) * 100);
}

/**
 * Practitioners per organization: the requested number spread over the organizations, and never
 * fewer than keep each one at 50 requests/s or less (SPEC §6: such a client is never refused).
 */
export function soakPractitionersPerOrg({ rate, users, organizations }) {
  return Math.max(Math.ceil(users / organizations), Math.ceil(rate / (50 * organizations)));
}

const add = (obj, key, n = 1) => {
  obj[key] = (obj[key] ?? 0) + n;
};
/** Bytes → MiB with one decimal (null stays null). */
export const mb = (bytes) => (Number.isFinite(bytes) ? Math.round(bytes / 1048576 * 10) / 10 : null);

/**
 * Collects answers by the interval of their due time and one memory sample per interval (taken at
 * its end). summary() returns one row per interval.
 */
export function createIntervals(intervalSec) {
  const raw = [];
  const at = (i) => (raw[i] ??= { requests: 0, outcomes: {}, transportErrors: {}, onReusedSocket: 0, latencies: [], maxSendLagMs: 0, memory: null });
  return {
    record(res, { dueSec, latencyMs, sendLagMs = 0 }) {
      const x = at(Math.floor(dueSec / intervalSec));
      x.requests++;
      add(x.outcomes, outcomeKey(res));
      if (!res.status) {
        add(x.transportErrors, res.errorCode ?? 'UNKNOWN');
        if (res.reusedSocket) x.onReusedSocket++;
      }
      x.latencies.push(latencyMs);
      x.maxSendLagMs = Math.max(x.maxSendLagMs, sendLagMs);
    },
    /** memory: { rssBytes, heapUsedBytes } of the service, loadAverage1: the machine's 1-minute load average. */
    recordMemory(index, memory) {
      at(index).memory = memory;
    },
    summary: () => Array.from({ length: raw.length }, (_, i) => summarizeInterval(i, intervalSec, at(i))),
  };
}

function summarizeInterval(index, intervalSec, x) {
  const transportErrorCount = Object.values(x.transportErrors).reduce((a, b) => a + b, 0);
  return {
    index,
    fromSec: index * intervalSec,
    toSec: (index + 1) * intervalSec,
    requests: x.requests,
    ok2xx: countStatuses(x.outcomes, (s) => s >= 200 && s < 300),
    insufficient409: x.outcomes['409 INSUFFICIENT_UNITS'] ?? 0,
    refused: countStatuses(x.outcomes, (s) => s === 401 || s === 403 || s === 429),
    status5xx: countStatuses(x.outcomes, (s) => s >= 500),
    outcomes: x.outcomes,
    transportErrors: x.transportErrors,
    transportErrorCount,
    transportErrorsOnReusedSocket: x.onReusedSocket,
    p50: percentileOf(x.latencies, 50),
    p95: percentileOf(x.latencies, 95),
    p99: percentileOf(x.latencies, 99),
    max: x.latencies.length ? Math.round(Math.max(...x.latencies) * 100) / 100 : null,
    maxSendLagMs: Math.round(x.maxSendLagMs * 100) / 100,
    rssMb: mb(x.memory?.rssBytes),
    heapUsedMb: mb(x.memory?.heapUsedBytes),
    loadAverage1: x.memory?.loadAverage1 ?? null,
  };
}

/** Transport errors of all intervals: total, by code, and how many went out on a reused keep-alive socket. */
export function transportErrorTotals(intervals) {
  const byCode = {};
  for (const x of intervals) for (const [code, n] of Object.entries(x.transportErrors)) add(byCode, code, n);
  const onReusedSocket = intervals.reduce((a, x) => a + x.transportErrorsOnReusedSocket, 0);
  return { total: Object.values(byCode).reduce((a, b) => a + b, 0), byCode, onReusedSocket };
}

/**
 * Memory must not grow without bound. The baseline is the service's RSS at the end of the first
 * interval: after the warm-up and a whole interval at the soak rate, when the heap has grown to its
 * working size. The RSS at the end of the last interval may exceed it by at most `maxGrowthPct`
 * percent. Fewer than two samples: not measured (fails).
 */
export function memoryTrend(intervals, maxGrowthPct) {
  const sampled = intervals.filter((x) => x.rssMb !== null);
  if (sampled.length < 2) return { measured: false, samples: sampled.length, maxGrowthPct, pass: false };
  const first = sampled[0];
  const last = sampled.at(-1);
  const heaps = sampled.map((x) => x.heapUsedMb).filter((v) => v !== null);
  const growthPct = Math.round(((last.rssMb - first.rssMb) / first.rssMb) * 1000) / 10;
  return {
    measured: true,
    samples: sampled.length,
    maxGrowthPct,
    firstInterval: first.index,
    firstMb: first.rssMb,
    lastMb: last.rssMb,
    maxMb: Math.max(...sampled.map((x) => x.rssMb)),
    growthPct,
    heapFirstMb: heaps[0] ?? null,
    heapLastMb: heaps.at(-1) ?? null,
    heapMaxMb: heaps.length ? Math.max(...heaps) : null,
    pass: growthPct <= maxGrowthPct,
  };
}

const seconds = (ms) => `${Math.round(ms / 100) / 10} s`;

/**
 * The server must keep an idle keep-alive socket longer than the client reuses one (`clientIdleSec`,
 * a load balancer's idle timeout); otherwise a request sent just as the server closes gets a reset.
 * `probe` is what lib/keepalive-probe.mjs measured.
 */
export function keepAliveCriterion(probe, clientIdleSec) {
  const name = `Server keeps an idle keep-alive socket longer than the client reuses one (--client-idle ${clientIdleSec} s)`;
  const limit = `> ${clientIdleSec} s`;
  const hint = probe?.keepAliveHeader ? ` (Keep-Alive: ${probe.keepAliveHeader})` : '';
  const kept = probe?.closedAfterMs ?? probe?.stillOpenAfterMs ?? null;
  if (!probe || probe.status === null || kept === null) return crit(name, `not measured: ${probe?.error ?? 'no probe'}`, limit, false);
  const value = probe.closedAfterMs === null ? `still open after ${seconds(kept)}${hint}` : `closed after ${seconds(kept)}${hint}`;
  return crit(name, value, limit, kept > clientIdleSec * 1000);
}

const byCodeText = (byCode) => Object.entries(byCode).map(([k, n]) => `${k} ${n}`).join(', ');

/**
 * GO only with zero transport errors, 5xx, 401/403/429, every release/consume succeeding, integrity,
 * bounded memory, and a server that keeps idle sockets longer than the client reuses them.
 */
export function evaluateSoak({ run, intervals, memory, expectations, metrics, integrity, sql, keepAlive }) {
  const transport = transportErrorTotals(intervals);
  const s5xx = countStatuses(run.outcomes, (s) => s >= 500);
  const refused = countStatuses(run.outcomes, (s) => s === 401 || s === 403 || s === 429);
  const c = [
    keepAliveCriterion(keepAlive.probe, keepAlive.clientIdleSec),
    crit('Transport errors (no HTTP response: reset, closed, timeout…)', transport.total ? `${transport.total} (${byCodeText(transport.byCode)}; ${transport.onReusedSocket} on a reused socket)` : 0, '= 0', transport.total === 0),
    crit('5xx responses', s5xx, '= 0', s5xx === 0),
    crit('401/403/429 for legitimate traffic', refused, '= 0', refused === 0),
    crit('Every response is an expected business outcome', run.errors, '= 0', run.errors === 0),
    crit('Releases of own SCHEDULED reservations succeed', `${expectations.releaseOk} of ${expectations.expectedReleaseOk}`, `= ${expectations.expectedReleaseOk}`, expectations.releaseOk === expectations.expectedReleaseOk),
    crit('Consumes of own SCHEDULED reservations succeed', `${expectations.consumeOk} of ${expectations.expectedConsumeOk}`, `= ${expectations.expectedConsumeOk}`, expectations.consumeOk === expectations.expectedConsumeOk),
    crit('Load delivered as offered (send rate ≥ 99% of --rate)', run.achievedSendRate, `≥ ${(run.offeredRate * 0.99).toFixed(2)}/s`, run.achievedSendRate >= run.offeredRate * 0.99),
    ...integrityCriteria(integrity, sql),
    failureRateCriterion(metrics),
    memory.measured
      ? crit(`Service RSS, end of last interval vs end of interval ${memory.firstInterval + 1}`, `${memory.firstMb} → ${memory.lastMb} MB (${memory.growthPct >= 0 ? '+' : ''}${memory.growthPct}%)`, `≤ +${memory.maxGrowthPct}%`, memory.pass)
      : crit('Service RSS, end of last interval vs end of the first', `${memory.samples} sample(s) of process_resident_memory_bytes: not measured`, `≤ +${memory.maxGrowthPct}%`, false),
  ];
  const p99s = intervals.map((x) => x.p99).filter((v) => v !== null);
  const worst = p99s.length ? Math.max(...p99s) : null;
  const targets = [crit(`p99 of every interval (SPEC §9 scenario 2/3 threshold, not gating)`, `worst ${worst} ms`, `≤ ${P99_TARGET_MS} ms`, worst !== null && worst <= P99_TARGET_MS, false)];
  const go = c.every((x) => x.pass);
  return { go, verdict: go ? 'GO' : 'NO-GO', criteria: c, targets, transport };
}
