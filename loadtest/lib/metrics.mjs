// Reads the service's Prometheus metrics (SPEC §7) and computes what changed
// between two scrapes: transactions, retries, failures, attempts distribution.

/** Parses Prometheus text into [{ name, labels, value }]. */
export function parsePrometheus(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/);
    if (!m) continue;
    const labels = {};
    if (m[2]) for (const l of m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    const value = m[3] === '+Inf' ? Infinity : Number(m[3]);
    samples.push({ name: m[1], labels, value });
  }
  return samples;
}

function sumWhere(samples, name, filter = {}) {
  let total = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(filter).every(([k, v]) => s.labels[k] === v)) total += s.value;
  }
  return total;
}

function labelValues(samples, name, label) {
  const set = new Set();
  for (const s of samples) if (s.name === name && s.labels[label] !== undefined) set.add(s.labels[label]);
  return [...set];
}

/** Delta summary of the unit-of-work metrics between two scrapes. */
export function unitMetricsDelta(beforeText, afterText) {
  const before = parsePrometheus(beforeText);
  const after = parsePrometheus(afterText);
  const d = (name, filter) => sumWhere(after, name, filter) - sumWhere(before, name, filter);
  const operations = new Set([
    ...labelValues(after, 'unit_transactions_total', 'operation'),
    ...labelValues(after, 'unit_transaction_retries_total', 'operation'),
  ]);
  const byOperation = {};
  for (const op of [...operations].sort()) {
    const outcomes = {};
    for (const outcome of labelValues(after, 'unit_transactions_total', 'outcome')) {
      const v = d('unit_transactions_total', { operation: op, outcome });
      if (v) outcomes[outcome] = v;
    }
    byOperation[op] = {
      transactions: d('unit_transactions_total', { operation: op }),
      outcomes,
      retries: d('unit_transaction_retries_total', { operation: op }),
      failures: d('unit_transaction_failures_total', { operation: op }),
      attempts: attemptsDistribution(before, after, op),
    };
  }
  const transactions = d('unit_transactions_total');
  const retries = d('unit_transaction_retries_total');
  const failures = d('unit_transaction_failures_total');
  const present = after.some((s) => s.name === 'unit_transactions_total');
  const hasCpu = after.some((s) => s.name === 'process_cpu_seconds_total');
  return {
    present,
    transactions,
    retries,
    failures,
    retryRate: transactions ? retries / transactions : 0,
    failureRate: transactions ? failures / transactions : 0,
    byOperation,
    attempts: attemptsDistribution(before, after, null),
    serviceCpuSeconds: hasCpu ? Math.round(d('process_cpu_seconds_total') * 100) / 100 : null,
  };
}

/** Histogram buckets (cumulative `le`) turned into counts per number of attempts. */
function attemptsDistribution(before, after, op) {
  const leOf = (s) => (s.labels.le === '+Inf' ? Infinity : Number(s.labels.le)); // "1" and "1.0" alike
  const isBucket = (s) => s.name === 'unit_transaction_attempts_bucket' && (!op || s.labels.operation === op);
  const cumulative = (samples, le) => samples.filter((s) => isBucket(s) && leOf(s) === le).reduce((a, s) => a + s.value, 0);
  const les = [...new Set(after.filter(isBucket).map(leOf))].sort((a, b) => a - b);
  const dist = {};
  let previous = 0;
  les.forEach((le, i) => {
    const c = cumulative(after, le) - cumulative(before, le);
    const inBucket = c - previous;
    previous = c;
    const lower = i === 0 ? null : les[i - 1];
    const key = le === Infinity ? `>${lower ?? 0}` : lower === null || lower + 1 === le ? String(le) : `${lower + 1}-${le}`;
    if (inBucket) dist[key] = inBucket;
  });
  return dist;
}

/**
 * Polls /metrics every `intervalSec` during a run: retries and transactions per second (averaged
 * over the interval). A scrape costs the service a few milliseconds of its event loop, so runs
 * poll about 20 times, not every second (Prometheus itself scrapes every 15–30 s).
 */
export function startMetricsSampler(api, intervalSec = 1) {
  const points = [];
  let last = null;
  let first = null;
  let stopped = false;
  let inFlight = null;
  const tick = async () => {
    try {
      const samples = parsePrometheus(await api.metricsText());
      const now = {
        t: Date.now(),
        transactions: sumWhere(samples, 'unit_transactions_total'),
        retries: sumWhere(samples, 'unit_transaction_retries_total'),
        failures: sumWhere(samples, 'unit_transaction_failures_total'),
      };
      first ??= now.t;
      if (last) {
        const seconds = Math.max(0.001, (now.t - last.t) / 1000);
        const per = (key) => Math.round(((now[key] - last[key]) / seconds) * 100) / 100;
        const second = Math.round((now.t - first) / 100) / 10;
        points.push({ second, transactions: per('transactions'), retries: per('retries'), failures: per('failures') });
      }
      last = now;
    } catch {
      /* a missed sample is not fatal */
    }
  };
  const timer = setInterval(() => {
    if (!stopped && !inFlight) inFlight = tick().finally(() => (inFlight = null));
  }, intervalSec * 1000);
  inFlight = tick().finally(() => (inFlight = null));
  return async () => {
    stopped = true;
    clearInterval(timer);
    await inFlight;
    await tick();
    return points;
  };
}

/**
 * The service's memory from prom-client's default process metrics: resident set size
 * (`process_resident_memory_bytes`) and V8 heap in use (`nodejs_heap_size_used_bytes`); null when absent.
 */
export function memoryFromMetrics(text) {
  const samples = parsePrometheus(text);
  const value = (name) => samples.find((s) => s.name === name)?.value ?? null;
  return { rssBytes: value('process_resident_memory_bytes'), heapUsedBytes: value('nodejs_heap_size_used_bytes') };
}
