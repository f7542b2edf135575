// Open-loop load: request i is due at start + i/rate whatever happened to the
// earlier ones. Response time is measured from the *due* time, so a slow
// service (or a late scheduler) shows up in the latencies instead of silently
// lowering the offered load (no coordinated omission). Service time (from the
// actual send) is recorded too.
import { performance } from 'node:perf_hooks';
import { newHistogram, recordMs, summarize, percentileOf } from './latency.mjs';
import { startProgress } from './progress.mjs';
import { startMachineCpu } from './machine-cpu.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const nextTurn = () => new Promise((r) => setImmediate(r));

/**
 * Timers fire up to a millisecond or more late, and a late send would count as service latency
 * (latency is measured from the due time). So sleep until shortly before the due time, then yield
 * to the event loop (responses keep being handled) until it has come.
 */
const YIELD_BEFORE_DUE_MS = 1.5;
async function waitUntil(dueAt) {
  const sleepMs = dueAt - performance.now() - YIELD_BEFORE_DUE_MS;
  if (sleepMs > 0) await sleep(sleepMs);
  while (performance.now() < dueAt) await nextTurn();
}

export function outcomeKey(res) {
  if (!res.status) return 'network error';
  return res.code ? `${res.status} ${res.code}` : String(res.status);
}

/**
 * act(i) -> Promise<{ op, status, code?, error? }>; isError(res) tells the
 * progress line and timeline what counts as an error for this scenario.
 * onResponse(res, { dueSec, latencyMs, sendLagMs }), if given, sees every answer (dueSec: seconds
 * from the start to the request's due time).
 */
export async function runOpenLoop({ label, rate, durationSec, act, isError, onSecond, onResponse }) {
  const planned = Math.max(1, Math.round(rate * durationSec));
  const intervalMs = 1000 / rate;
  const hist = newHistogram();
  const serviceHist = newHistogram();
  const outcomes = {};
  const byOp = {};
  const timeline = [];
  const bucket = (sec) => (timeline[sec] ??= { second: sec, sent: 0, completed: 0, ok: 0, errors: 0, latencies: [] });
  let sent = 0;
  let completed = 0;
  let errors = 0;
  let maxSendLagMs = 0;
  const sendLagHist = newHistogram();
  let lastCompletion = 0;
  const inflight = new Set();
  const cpuAtStart = process.cpuUsage();
  const stopMachineCpu = startMachineCpu();
  const start = performance.now();
  const elapsed = () => (performance.now() - start) / 1000;

  const stopProgress = startProgress(() => {
    const t = elapsed();
    return `[${label}] ${t.toFixed(0).padStart(4)}s/${durationSec}s  sent ${sent}/${planned} (${(sent / Math.max(t, 0.001)).toFixed(1)}/s)  done ${completed}  in flight ${inflight.size}  errors ${errors}`;
  });
  let secondTimer = null;
  if (onSecond) secondTimer = setInterval(() => onSecond(Math.floor(elapsed())), 1000);

  const fire = (i, dueAt) => {
    const sentAt = performance.now();
    maxSendLagMs = Math.max(maxSendLagMs, sentAt - dueAt);
    recordMs(sendLagHist, sentAt - dueAt);
    const dueSecond = Math.floor((dueAt - start) / 1000);
    bucket(dueSecond).sent++;
    sent++;
    const p = act(i).then(
      (res) => res,
      (err) => ({ op: 'unknown', status: 0, error: err.message }),
    ).then((res) => {
      const end = performance.now();
      lastCompletion = end;
      completed++;
      const latencyMs = end - dueAt;
      onResponse?.(res, { dueSec: (dueAt - start) / 1000, latencyMs, sendLagMs: sentAt - dueAt });
      recordMs(hist, latencyMs);
      recordMs(serviceHist, end - sentAt);
      const key = outcomeKey(res);
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      const op = (byOp[res.op] ??= {});
      op[key] = (op[key] ?? 0) + 1;
      const b = bucket(dueSecond);
      b.latencies.push(latencyMs);
      const doneBucket = bucket(Math.floor((end - start) / 1000));
      doneBucket.completed++;
      if (res.status >= 200 && res.status < 300) doneBucket.ok++;
      if (isError(res)) {
        errors++;
        doneBucket.errors++;
      }
      inflight.delete(p);
    });
    inflight.add(p);
  };

  let i = 0;
  let lastSentAt = start;
  while (i < planned) {
    const now = performance.now();
    while (i < planned && start + i * intervalMs <= now) {
      fire(i, start + i * intervalMs);
      lastSentAt = performance.now();
      i++;
    }
    if (i < planned) await waitUntil(start + i * intervalMs);
  }
  while (inflight.size) await Promise.all([...inflight]);
  clearInterval(secondTimer);
  const cpu = process.cpuUsage(cpuAtStart);
  const machineCpu = stopMachineCpu();
  stopProgress();

  const sendSpanSec = (lastSentAt - start) / 1000 + intervalMs / 1000;
  const elapsedSec = (lastCompletion - start) / 1000;
  return {
    label,
    offeredRate: rate,
    durationSec,
    planned,
    sent,
    completed,
    errors,
    sendSpanSec: round(sendSpanSec, 3),
    elapsedSec: round(elapsedSec, 3),
    achievedSendRate: round(sent / sendSpanSec, 2),
    completionThroughput: round(completed / Math.max(elapsedSec, 0.001), 2),
    maxSendLagMs: round(maxSendLagMs, 2),
    sendLag: summarize(sendLagHist),
    harnessCpuSeconds: round((cpu.user + cpu.system) / 1e6, 2),
    machineCpu,
    outcomes,
    byOp,
    latency: summarize(hist),
    serviceTime: summarize(serviceHist),
    timeline: Array.from({ length: timeline.length }, (_, sec) => {
      const x = timeline[sec] ?? { sent: 0, completed: 0, ok: 0, errors: 0, latencies: [] };
      return {
        second: sec,
        sent: x.sent,
        completed: x.completed,
        ok: x.ok,
        errors: x.errors,
        p50: percentileOf(x.latencies, 50),
        p95: percentileOf(x.latencies, 95),
        p99: percentileOf(x.latencies, 99),
        max: x.latencies.length ? round(Math.max(...x.latencies), 2) : null,
      };
    }),
  };
}

function round(v, d) {
  const f = 10 ** d;
  return Math.round(v * f) / f;
}
