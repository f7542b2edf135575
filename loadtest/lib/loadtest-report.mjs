// Turns the results of `npm run loadtest` into report blocks (Markdown/HTML).
import { OLD_SYSTEM } from './old-system.mjs';
import { countStatuses, pct } from './verdict.mjs';

export const mark = (c) => (c.pass ? (c.gating ? 'PASS' : 'MET') : c.gating ? 'FAIL' : 'MISSED');
const share = (n, total) => (total ? `${((n / total) * 100).toFixed(1)}%` : '—');

export function latencyTable(run) {
  const cols = ['min', 'mean', 'p50', 'p90', 'p95', 'p99', 'p999', 'max'];
  return {
    table: {
      head: ['ms', ...cols.map((c) => (c === 'p999' ? 'p99.9' : c))],
      rows: [
        ['response time (from scheduled send)', ...cols.map((c) => run.latency[c])],
        ['service time (from actual send)', ...cols.map((c) => run.serviceTime[c])],
      ],
    },
  };
}

export function statusTable(run) {
  const rows = [];
  for (const [op, outcomes] of Object.entries(run.byOp)) {
    for (const [key, n] of Object.entries(outcomes).sort((a, b) => b[1] - a[1])) rows.push([op, key, n, share(n, run.completed)]);
  }
  return { table: { head: ['operation', 'HTTP status / code', 'count', 'share'], rows } };
}

export function metricsBlocks(m) {
  if (!m.present) return [{ p: '**unit_transactions_total is missing from /metrics**: transactions, retries and failures could not be measured.' }];
  const rows = Object.entries(m.byOperation).filter(([, x]) => x.transactions || x.retries || x.failures).map(([op, x]) => [
    op,
    x.transactions,
    Object.entries(x.outcomes).map(([k, v]) => `${k} ${v}`).join(', '),
    x.retries,
    x.failures,
    x.transactions ? pct(x.retries / x.transactions) : '—',
    x.transactions ? pct(x.failures / x.transactions) : '—',
    Object.entries(x.attempts).map(([k, v]) => `${k}: ${v}`).join(', '),
  ]);
  rows.push(['**all**', m.transactions, '', m.retries, m.failures, pct(m.retryRate), pct(m.failureRate), Object.entries(m.attempts).map(([k, v]) => `${k}: ${v}`).join(', ')]);
  return [
    { p: 'Deltas of the service’s own counters between a scrape of `/metrics` just before and just after the run (against a shared `--target`, other traffic is included).' },
    { table: { head: ['operation', 'transactions', 'outcomes', 'retries', 'failures (exhausted)', 'retry rate', 'failure rate', 'attempts per transaction'], rows } },
  ];
}

export function integrityBlocks(integrity, sql) {
  const rows = [
    ['authorizations checked / ledger entries read', `${integrity.authorizationsChecked} / ${integrity.ledgerEntriesRead}`],
    ['rows with used + scheduled > total (must be 0)', integrity.overbooked],
    ['rows with negative counters (must be 0)', integrity.negative],
    ['ledger-vs-counter mismatches (must be 0)', integrity.ledgerMismatches],
    ['service counters ≠ harness bookkeeping (must be 0)', integrity.clientMismatches],
    ['authorizations excluded from the bookkeeping check (unknown outcome)', integrity.uncertain],
  ];
  if (sql?.available) {
    for (const [name, r] of Object.entries(sql.checks)) rows.push([`SQL, whole table: ${name}`, 'value' in r ? r.value : `QUERY FAILED (${r.error ?? r.skipped})`]);
  } else rows.push(['SQL checks', `${sql?.error ? 'FAILED' : 'not run'}: ${sql?.reason ?? 'no database URL'}`]);
  const blocks = [
    { p: 'Through the API, for every seeded authorization: `used + scheduled ≤ total`, counters ≥ 0, `scheduled = ΣRESERVE − ΣRELEASE − ΣEXPIRE − ΣCONSUME`, `used = ΣCONSUME`, `total = initial + ΣADJUST`, the last ledger entry’s after-values equal the counters, and the counters equal what the harness predicts from the responses it received.' },
    { table: { head: ['check', 'result'], rows } },
  ];
  if (integrity.problems.length) blocks.push({ table: { head: ['authorization', 'kind', 'problem'], rows: integrity.problems.map((p) => [p.authNumber, p.kind, p.detail]) } });
  return blocks;
}

export function expectationRows(e) {
  if (e.expectedReserveOk !== undefined) {
    return [
      ['reservations requested', e.reservesSent],
      ['units requested / units available at start', `${e.unitsRequested} / ${e.unitsAvailableAtStart}`],
      ['capacity (reservations that fit, all authorizations)', e.capacityReservations],
      ['expected successes (Σ per authorization min(requests received, total ÷ units))', e.expectedReserveOk],
      ['actual successes (201)', e.reserveOk],
      ['expected / actual 409 INSUFFICIENT_UNITS', `${e.expectedInsufficient} / ${e.reserveInsufficient}`],
    ];
  }
  return [
    ['reserves sent / 201 / 409 INSUFFICIENT_UNITS', `${e.reservesSent} / ${e.reserveOk} / ${e.reserveInsufficient}`],
    ['releases sent / succeeded', `${e.expectedReleaseOk} / ${e.releaseOk}`],
    ['consumes sent / succeeded', `${e.expectedConsumeOk} / ${e.consumeOk}`],
    ['release/consume turned into a reserve (no open reservation yet)', e.substitutedByReserve],
  ];
}

function oldSystemTable(run, integrity) {
  const o = run.outcomes;
  const mine = {
    total: run.completed,
    ok2xx: countStatuses(o, (s) => s >= 200 && s < 300),
    s401: countStatuses(o, (s) => s === 401),
    s403: countStatuses(o, (s) => s === 403),
    s429: countStatuses(o, (s) => s === 429),
    s400: countStatuses(o, (s) => s === 400),
    s409: countStatuses(o, (s) => s === 409),
    s5xx: countStatuses(o, (s) => s >= 500),
    ...run.latency,
    overbooked: integrity.overbooked,
  };
  const rows = [
    ['total requests', 'total'],
    ['2xx', 'ok2xx'],
    ['409 (business rule)', 's409'],
    ['401', 's401'],
    ['403', 's403'],
    ['429', 's429'],
    ['400', 's400'],
    ['5xx', 's5xx'],
    ['min (ms)', 'min'],
    ['mean (ms)', 'mean'],
    ['p50 (ms)', 'p50'],
    ['p95 (ms)', 'p95'],
    ['p99 (ms)', 'p99'],
    ['max (ms)', 'max'],
    ['rows overbooked', 'overbooked'],
  ].map(([label, k]) => [label, OLD_SYSTEM.V1[k], OLD_SYSTEM.V2[k], mine[k]]);
  rows.push(['retries measured', 'no', 'no', 'yes (see metrics)']);
  return { table: { head: ['scenario 1', 'old V1 (no retry)', 'old V2 (retry)', 'this run'], rows } };
}

function charts(s) {
  const tl = s.run.timeline;
  const blocks = [
    {
      chart: {
        title: `Scenario ${s.id}: response time per second (by scheduled send time)`,
        xLabel: 'seconds since start',
        yLabel: 'ms',
        series: ['p50', 'p95', 'p99', 'max'].map((k) => ({ name: k, points: tl.map((b) => [b.second, b[k]]) })),
      },
    },
    {
      chart: {
        title: `Scenario ${s.id}: throughput per second`,
        xLabel: 'seconds since start',
        yLabel: 'responses / s',
        series: [
          { name: 'completed', points: tl.map((b) => [b.second, b.completed]) },
          { name: '2xx', points: tl.map((b) => [b.second, b.ok]) },
          { name: 'errors', points: tl.map((b) => [b.second, b.errors]) },
        ],
      },
    },
  ];
  if (s.metricsTimeline?.length) {
    blocks.push({
      chart: {
        title: `Scenario ${s.id}: unit-of-work retries and transactions per second (/metrics)`,
        xLabel: 'seconds since start',
        yLabel: 'per second',
        series: [
          { name: 'transactions', points: s.metricsTimeline.map((p) => [p.second, p.transactions]) },
          { name: 'retries', points: s.metricsTimeline.map((p) => [p.second, p.retries]) },
          { name: 'failures', points: s.metricsTimeline.map((p) => [p.second, p.failures]) },
        ],
      },
    });
  }
  return blocks;
}

function scenarioBlocks(s) {
  const ev = s.evaluation;
  const run = s.run;
  return [
    { h: `Scenario ${s.id} — ${s.name}: ${ev.verdict}`, level: 2 },
    { p: `${s.description}. Offered ${run.offeredRate} requests/s for ${run.durationSec} s (${run.planned} requests, open loop). Data: ${s.seedSummary}.` },
    { h: 'Verdict criteria', level: 3 },
    { table: { head: ['criterion', 'value', 'limit', 'result'], rows: ev.criteria.map((c) => [c.name, c.value, c.limit, mark(c)]) } },
    ...(ev.targets.length ? [{ h: 'Targets (shown, not gating)', level: 3 }, { table: { head: ['target', 'value', 'limit', 'result'], rows: ev.targets.map((c) => [c.name, c.value, c.limit, mark(c)]) } }] : []),
    { h: 'Status codes', level: 3 },
    statusTable(run),
    { h: 'Latency', level: 3 },
    latencyTable(run),
    { h: 'Rate', level: 3 },
    {
      table: {
        head: ['offered', 'achieved send rate', 'completion throughput', 'sent', 'completed', 'wall time', 'send lag behind schedule p50 / p99 / max', 'CPU s: load generator / service', 'machine: busy cores'],
        rows: [[`${run.offeredRate}/s`, `${run.achievedSendRate}/s`, `${run.completionThroughput}/s`, run.sent, run.completed, `${run.elapsedSec} s`, run.sendLag ? `${run.sendLag.p50} / ${run.sendLag.p99} / ${run.maxSendLagMs} ms` : `max ${run.maxSendLagMs} ms`, `${run.harnessCpuSeconds} / ${s.metrics.serviceCpuSeconds ?? '?'}`, run.machineCpu?.busyCores === null || !run.machineCpu ? '?' : `${run.machineCpu.busyCores} of ${run.machineCpu.cores}`]],
      },
    },
    ...charts(s),
    { h: 'Transactions, retries, failures (/metrics before → after)', level: 3 },
    ...metricsBlocks(s.metrics),
    { h: 'Expected against actual', level: 3 },
    { table: { head: ['quantity', 'value'], rows: expectationRows(s.expectations) } },
    { h: 'Integrity', level: 3 },
    ...integrityBlocks(s.integrity, s.sql),
    ...(s.id === 1 ? [{ h: 'Side by side with the old system', level: 3 }, oldSystemTable(run, s.integrity), { p: `The old report declared: ${OLD_SYSTEM.verdict}.` }] : []),
  ];
}

export function buildLoadtestBlocks(report) {
  const blocks = [
    { h: `Unit Ledger load test — ${report.verdict}`, level: 1 },
    { p: `Generated ${report.generatedAt}. Target: ${report.environment.stack}. Load generator: Node ${report.environment.node} on ${report.environment.cpus} × ${report.environment.cpuModel} (shared with the service and the database when self-started); load average (1/5/15 min) at the end: ${report.environment.loadAverageAtEnd?.join(' / ') ?? '?'}. Other work on the machine inflates latencies.` },
    {
      p: report.warmup
        ? `Warm-up before measuring (so the service's code is JIT-compiled, as in a running deployment): ${report.warmup.requests} requests, ${report.warmup.concurrency} at a time, scenarios 1 and 3 alternating on a separate data set of their own organizations, in ${report.warmup.seconds} s; outcomes ${JSON.stringify(report.warmup.outcomes)}. None of them is counted in any figure below.`
        : 'No warm-up (--warmup 0): the first seconds measure a freshly started process.',
    },
    {
      table: {
        head: ['scenario', 'verdict', 'requests', '2xx', '409 INSUFFICIENT_UNITS', 'errors', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'retries', 'failures'],
        rows: report.scenarios.map((s) => [
          `${s.id} ${s.name}`,
          s.evaluation.verdict,
          s.run.completed,
          countStatuses(s.run.outcomes, (x) => x >= 200 && x < 300),
          s.run.outcomes['409 INSUFFICIENT_UNITS'] ?? 0,
          s.run.errors,
          s.run.latency.p50,
          s.run.latency.p95,
          s.run.latency.p99,
          s.run.latency.max,
          s.metrics.present ? s.metrics.retries : '—',
          s.metrics.present ? s.metrics.failures : '—',
        ]),
      },
    },
    { p: '**GO** requires every criterion of every scenario run to pass: no 401/403/429/5xx for legitimate traffic, integrity zero (API and, when a database URL is known, SQL), transaction failure rate under 1%, the exact expected number of successes, and the scenario’s SPEC §9 latency thresholds. Response times are measured from each request’s scheduled send time (open loop, no coordinated omission).' },
  ];
  for (const s of report.scenarios) blocks.push(...scenarioBlocks(s));
  return blocks;
}
