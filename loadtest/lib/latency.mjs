// HDR histograms in microseconds; summaries in milliseconds.
import * as hdr from 'hdr-histogram-js';

export function newHistogram() {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
}

export function recordMs(hist, ms) {
  hist.recordValue(Math.max(1, Math.round(ms * 1000)));
}

const r2 = (us) => Math.round(us / 10) / 100; // µs -> ms with 2 decimals

export function summarize(hist) {
  if (hist.totalCount === 0) return { count: 0, min: null, mean: null, p50: null, p90: null, p95: null, p99: null, p999: null, max: null };
  return {
    count: hist.totalCount,
    min: r2(hist.minNonZeroValue),
    mean: r2(hist.mean),
    p50: r2(hist.getValueAtPercentile(50)),
    p90: r2(hist.getValueAtPercentile(90)),
    p95: r2(hist.getValueAtPercentile(95)),
    p99: r2(hist.getValueAtPercentile(99)),
    p999: r2(hist.getValueAtPercentile(99.9)),
    max: r2(hist.maxValue),
  };
}

/** Percentile of a plain array of ms values (used for per-second timeline points). */
export function percentileOf(values, p) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[idx] * 100) / 100;
}
