// GO/NO-GO: every gating criterion must pass. Targets are printed, not gating.
import { sqlFindings } from './integrity.mjs';

const statusOf = (key) => (key === 'network error' ? 0 : Number(key.split(' ')[0]));

export function countStatuses(outcomes, pred) {
  return Object.entries(outcomes)
    .filter(([k]) => pred(statusOf(k)))
    .reduce((a, [, n]) => a + n, 0);
}

export const crit = (name, value, limit, pass, gating = true) => ({ name, value, limit, pass: Boolean(pass), gating });

/**
 * Integrity through the API and in SQL over the whole tables: every count must be 0; an SQL query
 * that errored, or no connection, fails; SQL not run at all fails under CI=true (sqlFindings).
 */
export function integrityCriteria(integrity, sql, { sqlRequired } = {}) {
  const c = [
    crit('Integrity (API): rows with used + scheduled > total', integrity.overbooked, '= 0', integrity.overbooked === 0),
    crit('Integrity (API): negative counters', integrity.negative, '= 0', integrity.negative === 0),
    crit('Integrity (API): ledger-vs-counter mismatches', integrity.ledgerMismatches, '= 0', integrity.ledgerMismatches === 0),
    crit('Integrity (API): service counters vs the harness’s own bookkeeping', integrity.clientMismatches, '= 0', integrity.clientMismatches === 0),
  ];
  for (const f of sqlFindings(sql, sqlRequired === undefined ? {} : { required: sqlRequired })) {
    c.push(crit(`Integrity (SQL, whole table): ${f.name}`, f.value, f.limit, f.pass));
  }
  return c;
}

/** Exhausted retries / transactions under 1%; missing metrics fail. */
export function failureRateCriterion(metrics) {
  const name = 'Transaction failure rate (exhausted retries / transactions)';
  if (!metrics.present) return crit(name, 'unit_transactions_total missing from /metrics', '< 1%', false);
  return crit(name, pct(metrics.failureRate), '< 1%', metrics.failureRate < 0.01);
}

export function evaluateScenario(scenario, run, expectations, metrics, integrity, sql) {
  const c = [];
  const refused = countStatuses(run.outcomes, (s) => s === 0 || s === 401 || s === 403 || s === 429 || s >= 500);
  c.push(crit('No 401/403/429/5xx/network errors for legitimate traffic', refused, '= 0', refused === 0));
  c.push(crit('Every response is an expected business outcome', run.errors, '= 0', run.errors === 0));
  c.push(crit('Load delivered as offered (send rate ≥ 99% of --rate)', run.achievedSendRate, `≥ ${(run.offeredRate * 0.99).toFixed(2)}/s`, run.achievedSendRate >= run.offeredRate * 0.99));
  c.push(...integrityCriteria(integrity, sql), failureRateCriterion(metrics));
  if (expectations.expectedReserveOk !== undefined) {
    c.push(crit('Successful reservations = expected from capacity', `${expectations.reserveOk} of ${expectations.expectedReserveOk} expected`, `= ${expectations.expectedReserveOk}`, expectations.reserveOk === expectations.expectedReserveOk));
    c.push(crit('Every other request is 409 INSUFFICIENT_UNITS', `${expectations.reserveInsufficient} of ${expectations.expectedInsufficient}`, `= ${expectations.expectedInsufficient}`, expectations.reserveInsufficient === expectations.expectedInsufficient));
  } else {
    c.push(crit('Releases of own SCHEDULED reservations succeed', `${expectations.releaseOk} of ${expectations.expectedReleaseOk}`, `= ${expectations.expectedReleaseOk}`, expectations.releaseOk === expectations.expectedReleaseOk));
    c.push(crit('Consumes of own SCHEDULED reservations succeed', `${expectations.consumeOk} of ${expectations.expectedConsumeOk}`, `= ${expectations.expectedConsumeOk}`, expectations.consumeOk === expectations.expectedConsumeOk));
  }
  const t = scenario.thresholds;
  c.push(crit(`p95 response time (SPEC §9 threshold)`, `${run.latency.p95} ms`, `≤ ${t.p95} ms`, run.latency.p95 <= t.p95));
  c.push(crit(`p99 response time (SPEC §9 threshold)`, `${run.latency.p99} ms`, `≤ ${t.p99} ms`, run.latency.p99 <= t.p99));
  if (t.maxErrorRate !== undefined) {
    const rate = run.completed ? run.errors / run.completed : 0;
    c.push(crit('Error rate (SPEC §9 goal)', pct(rate), `< ${pct(t.maxErrorRate)}`, rate < t.maxErrorRate));
  }

  const targets = [];
  if (scenario.targets) {
    const note = run.offeredRate === scenario.rate ? '' : ` (measured at ${run.offeredRate}/s, target defined at ${scenario.rate}/s)`;
    targets.push(crit(`p95 at ${scenario.rate} requests/s${note}`, `${run.latency.p95} ms`, `≤ ${scenario.targets.p95} ms`, run.latency.p95 <= scenario.targets.p95, false));
    targets.push(crit(`p99 at ${scenario.rate} requests/s${note}`, `${run.latency.p99} ms`, `≤ ${scenario.targets.p99} ms`, run.latency.p99 <= scenario.targets.p99, false));
  }
  if (scenario.goalRate) {
    targets.push(crit('Old goal: 100+ requests/s (needs --rate ≥ 100)', `${run.completionThroughput}/s`, `≥ ${scenario.goalRate}/s`, run.completionThroughput >= scenario.goalRate, false));
  }
  if (metrics.present) {
    targets.push(crit('Retry rate (SPEC §7 alert level, informational)', pct(metrics.retryRate), '≤ 10%', metrics.retryRate <= 0.1, false));
  }
  const go = c.every((x) => x.pass);
  return { go, verdict: go ? 'GO' : 'NO-GO', criteria: c, targets };
}

export function pct(x) {
  return `${(x * 100).toFixed(2)}%`;
}
