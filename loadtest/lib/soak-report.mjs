// Turns the result of `npm run loadtest -- --soak MINUTES` into report blocks (Markdown/HTML).
import { expectationRows, integrityBlocks, latencyTable, mark, metricsBlocks, statusTable } from './loadtest-report.mjs';

const codes = (byCode) => Object.entries(byCode).map(([k, n]) => `${k} ${n}`).join(', ') || '0';
const probeText = (p) =>
  p.closedAfterMs !== null
    ? `the server closed it after ${p.closedAfterMs} ms (its Keep-Alive header: ${p.keepAliveHeader ?? 'none'})`
    : p.stillOpenAfterMs !== null
      ? `still open after ${p.stillOpenAfterMs} ms (its Keep-Alive header: ${p.keepAliveHeader ?? 'none'})`
      : `failed: ${p.error}`;
const minutes = (sec) => `${Math.floor(sec / 60)}:${String(sec % 60).padStart(2, '0')}`;

function intervalTable(intervals) {
  return {
    table: {
      head: ['interval', 'requests', '2xx', '409 INSUFFICIENT_UNITS', '401/403/429', '5xx', 'transport errors (on a reused socket)', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'max send lag ms', 'service RSS MB', 'heap used MB', 'load avg (1 min)'],
      rows: intervals.map((x) => [
        `${minutes(x.fromSec)}–${minutes(x.toSec)}`,
        x.requests,
        x.ok2xx,
        x.insufficient409,
        x.refused,
        x.status5xx,
        x.transportErrorCount ? `${codes(x.transportErrors)} (${x.transportErrorsOnReusedSocket})` : 0,
        x.p50,
        x.p95,
        x.p99,
        x.max,
        x.maxSendLagMs,
        x.rssMb,
        x.heapUsedMb,
        x.loadAverage1,
      ]),
    },
  };
}

function charts(s) {
  const mid = (x) => (x.fromSec + x.toSec) / 2 / 60;
  return [
    {
      chart: {
        title: 'Soak: response time per interval',
        xLabel: 'minutes since start (interval midpoint)',
        yLabel: 'ms',
        series: ['p50', 'p95', 'p99'].map((k) => ({ name: k, points: s.intervals.map((x) => [mid(x), x[k]]) })),
      },
    },
    {
      chart: {
        title: 'Soak: service memory at the end of each interval',
        xLabel: 'minutes since start',
        yLabel: 'MB',
        series: [
          { name: 'resident set (RSS)', points: s.intervals.map((x) => [x.toSec / 60, x.rssMb]) },
          { name: 'V8 heap used', points: s.intervals.map((x) => [x.toSec / 60, x.heapUsedMb]) },
        ],
      },
    },
  ];
}

function transportErrorBlocks(s) {
  const t = s.evaluation.transport;
  if (!t.total) return [{ p: 'No transport errors: every request got an HTTP response.' }];
  const blocks = [
    {
      p: `${t.total} request(s) got no HTTP response: ${codes(t.byCode)}; ${t.onReusedSocket} of them on a reused keep-alive socket, ${t.total - t.onReusedSocket} on a new connection. Each was sent once (the client never retries). A reset on a socket idle for about the server’s keep-alive timeout is the race of issue 10; errors on new connections come with an overloaded service (accept queue, timeouts). In detail, the first ${s.transportErrors.filter((e) => e.reusedSocket).length} on reused sockets and the first ${s.transportErrors.filter((e) => !e.reusedSocket).length} on new connections:`,
    },
  ];
  blocks.push({
    table: {
      head: ['due at s', 'operation', 'code', 'on a reused socket', 'socket idle before, ms', 'message'],
      rows: s.transportErrors.map((e) => [e.second, e.op, e.code, e.reusedSocket === null ? '?' : e.reusedSocket ? 'yes' : 'no', e.idleMs, e.error]),
    },
  });
  return blocks;
}

function memoryBlocks(s) {
  const m = s.memory;
  const rows = [
    ['before the soak (after the warm-up)', s.memoryAtStart.rssMb, s.memoryAtStart.heapUsedMb],
    ...(m.measured
      ? [
          [`end of interval ${m.firstInterval + 1} (baseline)`, m.firstMb, m.heapFirstMb],
          ['end of the last interval', m.lastMb, m.heapLastMb],
          ['maximum over the interval samples', m.maxMb, m.heapMaxMb],
          ['growth, last vs baseline', `${m.growthPct >= 0 ? '+' : ''}${m.growthPct}% (limit +${m.maxGrowthPct}%)`, ''],
        ]
      : [['interval samples', `${m.samples}: not enough to judge`, '']]),
  ];
  return [
    { p: 'Read from the service’s `/metrics` (prom-client’s default `process_resident_memory_bytes` and `nodejs_heap_size_used_bytes`) at the end of every interval. The baseline is the end of the first interval, when the heap has grown to its working size; the criterion bounds the growth from there to the end.' },
    { table: { head: ['when', 'RSS MB', 'heap used MB'], rows } },
  ];
}

export function buildSoakBlocks(report) {
  const s = report.soak;
  const run = s.run;
  const ev = s.evaluation;
  const c = s.connections;
  const env = report.environment;
  return [
    { h: `Unit Ledger soak — ${ev.verdict}`, level: 1 },
    { p: `Generated ${report.generatedAt}. Target: ${env.stack}. Load generator: Node ${env.node} on ${env.cpus} × ${env.cpuModel} (shared with the service and the database when self-started); load average (1/5/15 min) at the start: ${env.loadAverageAtStart.join(' / ')}, at the end: ${env.loadAverageAtEnd.join(' / ')}. Other work on the machine inflates latencies.` },
    { p: `${s.description}. Open loop at ${run.offeredRate} requests/s for ${run.durationSec / 60} min (${run.planned} requests), figures per ${s.intervalSec} s interval. Data: ${s.seedSummary}.` },
    { p: `Client: keep-alive HTTP/1.1 (lib/lean-http-client.mjs) reusing an idle socket for up to ${s.clientIdleSec} s, as a load balancer or proxy in front of the service does; a request is sent once and a failure on a reused socket counts as a transport error. ${c.connections} connection(s) carried ${c.requests} requests (${c.onReusedSocket} on a reused socket). Keep-alive probe (one request on a connection of its own, then idle): ${probeText(s.keepAlive.probe)}.` },
    {
      p: report.warmup
        ? `Warm-up before the soak (not counted): ${report.warmup.requests} requests on a separate data set in ${report.warmup.seconds} s; outcomes ${JSON.stringify(report.warmup.outcomes)}.`
        : 'No warm-up (--warmup 0).',
    },
    { h: 'Verdict criteria', level: 2 },
    { table: { head: ['criterion', 'value', 'limit', 'result'], rows: ev.criteria.map((x) => [x.name, x.value, x.limit, mark(x)]) } },
    { h: 'Targets (shown, not gating)', level: 3 },
    { table: { head: ['target', 'value', 'limit', 'result'], rows: ev.targets.map((x) => [x.name, x.value, x.limit, mark(x)]) } },
    { h: 'Per interval', level: 2 },
    { p: 'Requests are counted in the interval of their scheduled send time; response times are measured from it (open loop). RSS, heap and load average are sampled at the interval’s end.' },
    intervalTable(s.intervals),
    ...charts(s),
    { h: 'Transport errors', level: 2 },
    ...transportErrorBlocks(s),
    { h: 'Service memory', level: 2 },
    ...memoryBlocks(s),
    { h: 'Whole run', level: 2 },
    statusTable(run),
    latencyTable(run),
    {
      table: {
        head: ['offered', 'achieved send rate', 'sent', 'completed', 'wall time', 'send lag behind schedule p50 / p99 / max', 'CPU s: load generator / service', 'machine: busy cores'],
        rows: [[`${run.offeredRate}/s`, `${run.achievedSendRate}/s`, run.sent, run.completed, `${run.elapsedSec} s`, `${run.sendLag.p50} / ${run.sendLag.p99} / ${run.maxSendLagMs} ms`, `${run.harnessCpuSeconds} / ${s.metrics.serviceCpuSeconds ?? '?'}`, run.machineCpu?.busyCores == null ? '?' : `${run.machineCpu.busyCores} of ${run.machineCpu.cores}`]],
      },
    },
    { table: { head: ['quantity', 'value'], rows: expectationRows(s.expectations) } },
    { h: 'Transactions, retries, failures (/metrics before → after)', level: 2 },
    ...metricsBlocks(s.metrics),
    { h: 'Integrity', level: 2 },
    ...integrityBlocks(s.integrity, s.sql),
  ];
}
