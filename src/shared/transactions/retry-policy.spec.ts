import { backoffDelayMs, isRetryable } from './retry-policy';

const config = { maxAttempts: 5, baseDelayMs: 10, maxDelayMs: 1000 };

describe('retry policy', () => {
  it('retries serialization failures and deadlocks, nothing else', () => {
    expect(isRetryable({ code: '40001' })).toBe(true);
    expect(isRetryable({ code: '40P01' })).toBe(true);
    for (const code of ['23505', '23514', '57P01', '08006', 'ECONNREFUSED', undefined]) expect(isRetryable({ code })).toBe(false);
    expect(isRetryable(new Error('40001'))).toBe(false);
    expect(isRetryable(null)).toBe(false);
  });

  it('grows exponentially from the base: the delay of retry n lies in [c/2, c] with c = base × 2^(n-1)', () => {
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, config, () => 0))).toEqual([5, 10, 20, 40]);
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(n, config, () => 1))).toEqual([10, 20, 40, 80]);
  });

  it('is capped at the maximum delay, jitter included', () => {
    expect(backoffDelayMs(20, config, () => 1)).toBe(1000);
    expect(backoffDelayMs(20, config, () => 0)).toBe(500);
    for (let i = 0; i < 1000; i++) {
      const delay = backoffDelayMs(1 + (i % 12), config);
      expect(delay).toBeGreaterThanOrEqual(5);
      expect(delay).toBeLessThanOrEqual(1000);
    }
  });

  it('spreads colliding retries apart (jitter)', () => {
    const delays = new Set(Array.from({ length: 200 }, () => backoffDelayMs(4, config)));
    expect(delays.size).toBeGreaterThan(10);
  });
});
