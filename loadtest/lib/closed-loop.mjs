// Closed-loop capacity: N clients, each sends its next request as soon as the
// previous one is answered. After a warm-up, counts what completes in the
// measured window (requests started inside it, waited for to the end).
import { performance } from 'node:perf_hooks';
import { newHistogram, recordMs, summarize } from './latency.mjs';
import { outcomeKey } from './open-loop.mjs';
import { startProgress } from './progress.mjs';
import { startMachineCpu } from './machine-cpu.mjs';

/** op(clientIndex) -> Promise<{status, code}>; onWindowStart() awaited when measuring begins. */
export async function runClosedLoop({ label, clients, warmupSec, durationSec, op, onWindowStart }) {
  const hist = newHistogram();
  const outcomes = {};
  const perSecondOk = [];
  let windowStart = Infinity;
  let windowEnd = Infinity;
  let lastCompletion = 0;
  let ok = 0;
  let done = 0;
  const t0 = performance.now();
  const stopProgress = startProgress(() => {
    const t = (performance.now() - t0) / 1000;
    const phase = performance.now() < windowStart ? 'warm-up' : 'measuring';
    return `[${label}] ${t.toFixed(0).padStart(3)}s ${phase}  clients ${clients}  ok ${ok}  completed ${done}  (${(ok / Math.max(0.001, (performance.now() - Math.min(windowStart, performance.now())) / 1000)).toFixed(0)} ok/s)`;
  });

  const warmupEnd = t0 + warmupSec * 1000;
  const client = async (i) => {
    for (;;) {
      const start = performance.now();
      if (start >= windowEnd) return;
      const res = await op(i);
      if (start < windowStart) continue; // warm-up, or started before the window opened
      const end = performance.now();
      lastCompletion = Math.max(lastCompletion, end);
      recordMs(hist, end - start);
      const key = outcomeKey(res);
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      done++;
      if (res.status >= 200 && res.status < 300) {
        ok++;
        const sec = Math.floor((end - windowStart) / 1000);
        perSecondOk[sec] = (perSecondOk[sec] ?? 0) + 1;
      }
    }
  };
  const workers = Array.from({ length: clients }, (_, i) => client(i));
  await new Promise((r) => setTimeout(r, Math.max(0, warmupEnd - performance.now())));
  if (onWindowStart) await onWindowStart();
  windowStart = performance.now();
  const cpuAtStart = process.cpuUsage();
  const stopMachineCpu = startMachineCpu();
  windowEnd = windowStart + durationSec * 1000;
  await Promise.all(workers);
  const cpu = process.cpuUsage(cpuAtStart);
  const machineCpu = stopMachineCpu();
  stopProgress();
  const elapsedSec = (lastCompletion - windowStart) / 1000;
  return {
    clients,
    durationSec,
    elapsedSec: Math.round(elapsedSec * 1000) / 1000,
    completed: done,
    ok,
    okPerSec: Math.round((ok / elapsedSec) * 10) / 10,
    outcomes,
    latency: summarize(hist),
    machineCpu,
    harnessCpuSeconds: Math.round(((cpu.user + cpu.system) / 1e6) * 100) / 100,
    perSecondOk: Array.from({ length: Math.min(perSecondOk.length, Math.floor(durationSec)) }, (_, s) => perSecondOk[s] ?? 0), // full seconds only
  };
}
