// Report of `npm run bench`: console table, Markdown/HTML blocks.
import { pct } from './verdict.mjs';

const f1 = (x) => (x === null || x === undefined ? '—' : Number(x).toFixed(1));

function cpuLine(s) {
  const pctOfCore = (sec) => (sec === null || sec === undefined ? '?' : `${sec} s (${Math.round((sec / s.elapsedSec) * 100)}% of one core)`);
  const machine = s.machineCpu?.busyCores === null || !s.machineCpu ? '' : `; whole machine: ${s.machineCpu.busyCores} of ${s.machineCpu.cores} cores busy on average`;
  return `${pctOfCore(s.harnessCpuSeconds)} / ${pctOfCore(s.metrics.serviceCpuSeconds)}${machine}`;
}

export function evaluateCase(r) {
  const m = r.service.metrics;
  const exhausted = r.service.exhausted503 + (m.present ? m.failures : 0);
  const ratioOk = r.ratio !== null && r.ratio >= r.case.minRatio;
  return {
    exhausted,
    ratioOk,
    exhaustedOk: r.service.exhausted503 === 0 && m.present && m.failures === 0,
    met: ratioOk && r.service.exhausted503 === 0 && m.present && m.failures === 0,
  };
}

function rows(report) {
  return report.results.map((r) => {
    const e = evaluateCase(r);
    const m = r.service.metrics;
    const non201 = r.service.completed - r.service.ok;
    return [
      r.case.name,
      f1(r.service.okPerSec),
      r.service.latency.p50,
      r.service.latency.p99,
      non201,
      `${r.service.exhausted503} / ${m.present ? m.failures : '?'}`,
      m.present ? `${m.retries} (${pct(m.retryRate)})` : '?',
      r.pgbench ? f1(r.pgbench.tps) : '—',
      r.pgbench ? `${r.pgbench.retries} / ${r.pgbench.failed}` : '—',
      r.ratio === null ? '—' : `${r.ratio.toFixed(2)}×${r.rounds?.length > 1 ? ` (${r.rounds.map((x) => x.ratio?.toFixed(2) ?? '—').join(', ')})` : ''}`,
      `≥ ${r.case.minRatio.toFixed(2)}×, 0 exhausted`,
      e.met ? 'MET' : 'MISSED',
    ];
  });
}

const HEAD = ['case', 'service ok/s', 'p50 ms', 'p99 ms', 'non-201', 'exhausted (503 / metric)', 'service retries', 'pgbench tps', 'pgbench retries / failed', 'ratio', 'target', 'result'];

export function benchTable(report) {
  const all = [HEAD, ...rows(report)].map((r) => r.map(String));
  const widths = HEAD.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  return all.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('  ')).join('\n');
}

export function buildBenchBlocks(report) {
  const env = report.environment;
  const blocks = [
    { h: 'Unit Ledger capacity bench', level: 1 },
    { p: `Generated ${report.generatedAt}. Target: ${env.stack}. Machine: ${env.cpus} × ${env.cpuModel}, Node ${env.node}; the load generator, the service, PostgreSQL and pgbench share it; load average (1/5/15 min) at the end: ${env.loadAverageAtEnd?.join(' / ') ?? '?'}.` },
    { p: `Service: closed loop, each client a separate PRACTITIONER, reserving 1 unit per request (authorizations of ${'1,000,000'} units so they never run out); ${report.options.warmup} s warm-up, then ${report.options.rounds} round(s) of ${report.options.roundSeconds} s for the service followed by the same for pgbench; the ratio is the median of the rounds’ ratios, the other figures are the median round’s; “ok/s” counts 201 responses. pgbench: \`${report.results.find((r) => r.pgbench)?.pgbench.command ?? 'skipped'}\`, the same transaction in SQL (SELECT counters; UPDATE … WHERE used + scheduled + 1 ≤ total; INSERT ledger row) under SERIALIZABLE, retried by pgbench itself, in schema \`pgbench_ul\` on the same server; “tps” counts committed transactions.` },
    ...(env.pgbenchSkipped ? [{ p: `**pgbench skipped**: ${env.pgbenchSkipped}.` }] : []),
    { table: { head: HEAD, rows: rows(report) } },
    { p: 'Targets (issue 3 §4): hot authorization ≥ 1.0 × pgbench at 16 and 64 clients, spread access ≥ 0.25 × pgbench at 16 clients, and zero exhausted retries (503 CONTENTION_RETRY_EXHAUSTED responses and unit_transaction_failures_total both 0). They are measurements to read, not a test that fails the build.' },
    { h: 'Details', level: 2 },
  ];
  for (const r of report.results) {
    const s = r.service;
    const m = s.metrics;
    blocks.push({ h: `${r.case.name}: ${r.case.title}`, level: 3 });
    blocks.push({
      table: {
        head: ['', 'value'],
        rows: [
          ['service: successful reservations/s', f1(s.okPerSec)],
          ['service: completed / 201 in window', `${s.completed} / ${s.ok} in ${s.elapsedSec} s`],
          ['service: outcomes', Object.entries(s.outcomes).map(([k, v]) => `${k}: ${v}`).join(', ')],
          ['service: latency ms min / p50 / p95 / p99 / max', `${s.latency.min} / ${s.latency.p50} / ${s.latency.p95} / ${s.latency.p99} / ${s.latency.max}`],
          ['service: transactions / retries / failures (metrics)', m.present ? `${m.transactions} / ${m.retries} / ${m.failures}` : 'unit_transactions_total missing'],
          ['service: attempts per transaction', m.present ? Object.entries(m.attempts).map(([k, v]) => `${k}: ${v}`).join(', ') : '—'],
          ['CPU in the window: load generator / service process', cpuLine(s)],
          ['service: integrity (overbooked / scheduled ≠ 201s / unknown outcomes)', `${s.integrity.overbooked} / ${s.integrity.mismatches} / ${s.integrity.unknownOutcomes} over ${s.integrity.checked} authorization(s)`],
          ['pgbench: tps (committed)', r.pgbench ? f1(r.pgbench.tps) : '—'],
          ['pgbench: processed / failed / retried / retries', r.pgbench ? `${r.pgbench.processed} / ${r.pgbench.failed} / ${r.pgbench.retried} / ${r.pgbench.retries}` : '—'],
          ['pgbench: whole machine busy cores (average)', r.pgbench?.machineCpu?.busyCores == null ? '—' : `${r.pgbench.machineCpu.busyCores} of ${r.pgbench.machineCpu.cores}`],
          ['pgbench: ledger rows = counters = processed', r.pgbench ? (r.pgbench.reconciles ? 'yes' : `NO (${JSON.stringify(r.pgbench.totals)})`) : '—'],
          ['ratio service / pgbench (median round)', r.ratio === null ? '—' : `${r.ratio.toFixed(3)}×`],
          ['rounds: service ok/s / pgbench tps = ratio', (r.rounds ?? []).map((x) => `${f1(x.okPerSec)} / ${x.tps === null ? '—' : f1(x.tps)} = ${x.ratio === null ? '—' : x.ratio.toFixed(2)}`).join('; ')],
        ],
      },
    });
  }
  const series = report.results.map((r) => ({ name: r.case.name, points: r.service.perSecondOk.map((v, i) => [i, v]) }));
  blocks.push({ chart: { title: 'Service: successful reservations per second', xLabel: 'seconds of the measured window', yLabel: '201 / s', series } });
  const retrySeries = report.results.filter((r) => r.pgbench).map((r) => r);
  if (retrySeries.length) blocks.push({ p: 'pgbench raw output of each case is in report.json (`results[].pgbench.output`).' });
  return blocks;
}
