import test from 'node:test';
import assert from 'node:assert/strict';
import { runOpenLoop } from '../lib/open-loop.mjs';

const busyWait = (ms) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

// Coordinated omission: a stall must show in the latencies of the requests that were due during it,
// not silently postpone them. At 100/s request i is due at i × 10 ms; request 0 holds the process
// for 60 ms, so requests 1–5 are sent at ~60 ms and waited at least 50, 40, 30, 20 and 10 ms.
test('latency is measured from the due time, so a stall counts against the requests due during it', async () => {
  const sentAt = [];
  const result = await runOpenLoop({
    label: 'test',
    rate: 100,
    durationSec: 0.2,
    isError: (res) => res.status !== 200,
    act: async (i) => {
      sentAt[i] = performance.now();
      if (i === 0) busyWait(60);
      return { op: 'reserve', status: 200 };
    },
  });
  assert.equal(result.planned, 20);
  assert.equal(result.sent, 20);
  assert.equal(result.completed, 20);
  assert.deepEqual(result.outcomes, { 200: 20 });
  assert.deepEqual(result.byOp, { reserve: { 200: 20 } });
  assert.equal(result.errors, 0);
  // Six of 20 requests (0 and 1–5) include at least 10 ms of the stall, 1–3 at least 30 ms: the
  // 90th percentile (18th of 20) is one of them. Measured from the send, only request 0 would be slow.
  assert.ok(result.latency.p90 >= 30, `p90 ${result.latency.p90}`);
  assert.ok(result.sendLag.max >= 50, `send lag max ${result.sendLag.max}`);
  assert.ok(result.latency.p50 < 10, `half of the requests were not delayed: p50 ${result.latency.p50}`);
  // Nothing was postponed past the stall: 1–5 all went out before request 6 was due.
  for (let i = 1; i <= 5; i++) assert.ok(sentAt[i] < sentAt[0] + 60 + 10, `request ${i} sent late`);
});

test('failed acts count as network errors and as errors', async () => {
  const result = await runOpenLoop({
    label: 'test',
    rate: 200,
    durationSec: 0.05,
    isError: (res) => res.status === 0 || res.status >= 500,
    act: async (i) => {
      if (i % 2) throw new Error('boom');
      return { op: 'reserve', status: 503, code: 'CONTENTION_RETRY_EXHAUSTED' };
    },
  });
  assert.equal(result.planned, 10);
  assert.deepEqual(result.outcomes, { '503 CONTENTION_RETRY_EXHAUSTED': 5, 'network error': 5 });
  assert.equal(result.errors, 10);
});

test('onResponse sees every answer with its due second, latency and send lag', async () => {
  const seen = [];
  const result = await runOpenLoop({
    label: 'test',
    rate: 100,
    durationSec: 0.05,
    isError: () => false,
    act: async (i) => ({ op: 'reserve', status: 201, i }),
    onResponse: (res, t) => seen.push([res.i, Math.round(t.dueSec * 1000), t.latencyMs >= 0, t.sendLagMs >= 0]),
  });
  assert.equal(result.completed, 5);
  assert.deepEqual(seen.sort((a, b) => a[0] - b[0]), [0, 1, 2, 3, 4].map((i) => [i, i * 10, true, true]));
});
