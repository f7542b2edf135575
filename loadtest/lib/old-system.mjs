// Figures of the replaced system's scenario-1 run, from
// reference/performance-test-results-v2.md (V1 = before retry logic, V2 = with it).
export const OLD_SYSTEM = {
  V1: { total: 3000, ok2xx: 30, s401: 69, s403: 0, s429: 2900, s400: 1, s409: 0, s5xx: 0, min: 0, mean: 2.3, p50: 1, p95: 10.1, p99: 21.1, max: 161, overbooked: 0, retries: 'not measured' },
  V2: { total: 3000, ok2xx: 0, s401: 100, s403: 0, s429: 2900, s400: 0, s409: 0, s5xx: 0, min: 0, mean: 1.8, p50: 1, p95: 6, p99: 13.9, max: 33, overbooked: 0, retries: 'not measured' },
  verdict: 'GO (declared although 96.7% of requests were rate-limited and the rest refused for tokens)',
};
