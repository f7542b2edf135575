import test from 'node:test';
import assert from 'node:assert/strict';
import { evaluateScenario } from '../lib/verdict.mjs';
import { SCENARIOS } from '../lib/scenarios.mjs';

// A scenario-1 run that meets every criterion; each test below breaks exactly one thing.
function passingRun() {
  return {
    run: {
      outcomes: { 201: 50, '409 INSUFFICIENT_UNITS': 2950 },
      errors: 0,
      completed: 3000,
      offeredRate: 50,
      achievedSendRate: 50,
      completionThroughput: 50,
      latency: { p95: 4, p99: 7 },
    },
    expectations: { expectedReserveOk: 50, reserveOk: 50, expectedInsufficient: 2950, reserveInsufficient: 2950 },
    metrics: { present: true, failureRate: 0, retryRate: 0 },
    integrity: { overbooked: 0, negative: 0, ledgerMismatches: 0, clientMismatches: 0 },
    sql: { available: true, checks: { 'used + scheduled > total': { value: 0 } } },
  };
}

const evaluate = (x) =>
  evaluateScenario(SCENARIOS[1], x.run, x.expectations, x.metrics, x.integrity, x.sql);
const failing = (result) => result.criteria.filter((c) => !c.pass).map((c) => c.name);

test('a run that meets every criterion is GO, and the issue targets are reported as met', () => {
  const result = evaluate(passingRun());
  assert.equal(result.verdict, 'GO');
  assert.deepEqual(failing(result), []);
  assert.deepEqual(result.targets.map((t) => [t.limit, t.pass, t.gating]), [
    ['≤ 6 ms', true, false],
    ['≤ 13.9 ms', true, false],
    ['≤ 10%', true, false],
  ]);
});

const breaks = {
  'a single 429': (x) => (x.run.outcomes['429 RATE_LIMITED'] = 1),
  'a single network error': (x) => (x.run.outcomes['network error'] = 1),
  'a single 503': (x) => (x.run.outcomes['503 CONTENTION_RETRY_EXHAUSTED'] = 1),
  'an unexpected response': (x) => (x.run.errors = 1),
  'load not delivered': (x) => (x.run.achievedSendRate = 49),
  'one overbooked row': (x) => (x.integrity.overbooked = 1),
  'one negative counter': (x) => (x.integrity.negative = 1),
  'one ledger mismatch': (x) => (x.integrity.ledgerMismatches = 1),
  'one counter unlike the harness’s bookkeeping': (x) => (x.integrity.clientMismatches = 1),
  'a SQL integrity finding': (x) => (x.sql.checks['used + scheduled > total'].value = 1),
  'failure rate of 1%': (x) => (x.metrics.failureRate = 0.01),
  'metrics missing': (x) => (x.metrics = { present: false }),
  'one success too many': (x) => (x.expectations.reserveOk = 51),
  'one refusal too few': (x) => (x.expectations.reserveInsufficient = 2949),
  'p95 over the SPEC threshold': (x) => (x.run.latency.p95 = 200.01),
  'p99 over the SPEC threshold': (x) => (x.run.latency.p99 = 500.01),
};

for (const [what, apply] of Object.entries(breaks)) {
  test(`NO-GO on ${what}`, () => {
    const x = passingRun();
    apply(x);
    const result = evaluate(x);
    assert.equal(result.verdict, 'NO-GO');
    assert.equal(failing(result).length, 1, `exactly one failing criterion, got ${failing(result)}`);
  });
}

test('missing the issue targets is reported but does not decide the verdict', () => {
  const x = passingRun();
  x.run.latency = { p95: 6.01, p99: 13.91 };
  const result = evaluate(x);
  assert.equal(result.verdict, 'GO');
  assert.deepEqual(result.targets.filter((t) => !t.pass).map((t) => t.value), ['6.01 ms', '13.91 ms']);
});
