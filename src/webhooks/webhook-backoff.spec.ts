import {
  DEFAULT_WEBHOOK_MAX_ATTEMPTS,
  nextAttempt,
  nominalDelayMs,
  retryDelayMs,
  WEBHOOK_DISABLE_AFTER_MS,
  WEBHOOK_MAX_DELAY_MS,
} from './webhook-backoff';

const HOUR = 3_600_000;
const now = new Date('2026-12-06T12:00:00.000Z');
const fixed = (value: number) => () => value;

describe('nominalDelayMs', () => {
  it('1 s, doubling, capped at 1 h', () => {
    const waits = Array.from({ length: 16 }, (_, i) => nominalDelayMs(i + 1));
    expect(waits).toEqual([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 3600, 3600, 3600, 3600].map((s) => s * 1000));
    expect(nominalDelayMs(1_000_000)).toBe(WEBHOOK_MAX_DELAY_MS);
    expect(nominalDelayMs(Number.MAX_SAFE_INTEGER)).toBe(WEBHOOK_MAX_DELAY_MS);
  });

  it('refuses an attempt that is not an integer from 1', () => {
    for (const attempt of [0, -1, 1.5, NaN]) expect(() => nominalDelayMs(attempt)).toThrow(RangeError);
  });
});

describe('retryDelayMs (equal jitter)', () => {
  it('is uniform in [d/2, d]: the random source sets where', () => {
    expect(retryDelayMs(1, fixed(0))).toBe(500);
    expect(retryDelayMs(1, fixed(0.5))).toBe(750);
    expect(retryDelayMs(1, fixed(0.999999))).toBe(1000);
    expect(retryDelayMs(4, fixed(0.25))).toBe(5000); // d = 8 s: 4 s + 0.25 × 4 s
    expect(retryDelayMs(15, fixed(0))).toBe(HOUR / 2);
    expect(retryDelayMs(15, fixed(0.999999))).toBe(HOUR - 2); // rounded to the millisecond
  });

  it('a random source out of range cannot leave the interval', () => {
    expect(retryDelayMs(3, fixed(-5))).toBe(2000);
    expect(retryDelayMs(3, fixed(7))).toBe(4000);
    expect(retryDelayMs(3, fixed(NaN))).toBe(2000);
  });

  it('with Math.random: always within [d/2, d], and spread (not one value)', () => {
    for (let attempt = 1; attempt <= 20; attempt++) {
      const d = nominalDelayMs(attempt);
      const seen = new Set<number>();
      for (let i = 0; i < 200; i++) {
        const wait = retryDelayMs(attempt, Math.random);
        expect(wait).toBeGreaterThanOrEqual(d / 2);
        expect(wait).toBeLessThanOrEqual(d);
        seen.add(wait);
      }
      expect(seen.size).toBeGreaterThan(1);
    }
  });
});

describe('nextAttempt', () => {
  const base = { firstFailureAt: null, now, random: fixed(0.5), maxAttempts: DEFAULT_WEBHOOK_MAX_ATTEMPTS };

  it('retries after the first failure at now + the jittered wait', () => {
    expect(nextAttempt({ ...base, attempt: 1 })).toEqual({ action: 'retry', delayMs: 750, at: new Date(now.getTime() + 750) });
    expect(nextAttempt({ ...base, attempt: 2, random: fixed(0) })).toEqual({ action: 'retry', delayMs: 1000, at: new Date(now.getTime() + 1000) });
  });

  it('the default schedule: 14 retries, then the 15th failed attempt gives up', () => {
    const decisions = Array.from({ length: 15 }, (_, i) => nextAttempt({ ...base, attempt: i + 1, random: fixed(0.999999999) }));
    expect(decisions.slice(0, 14).map((d) => (d.action === 'retry' ? d.delayMs / 1000 : d.action))).toEqual([
      1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 3600, 3600,
    ]);
    expect(decisions[14]).toEqual({ action: 'give_up' });
    expect(nextAttempt({ ...base, attempt: 16 })).toEqual({ action: 'give_up' });
  });

  it('the whole default schedule, from first attempt to giving up, lasts between ~1.6 h and ~3.1 h', () => {
    const total = (r: number) => Array.from({ length: 14 }, (_, i) => retryDelayMs(i + 1, fixed(r))).reduce((a, b) => a + b, 0);
    expect(total(0)).toBe(5_647_500); // 1 h 34 min 7.5 s
    expect(total(1)).toBe(11_295_000); // 3 h 8 min 15 s
  });

  it('WEBHOOK_MAX_ATTEMPTS other than 15', () => {
    expect(nextAttempt({ ...base, attempt: 1, maxAttempts: 1 })).toEqual({ action: 'give_up' });
    expect(nextAttempt({ ...base, attempt: 2, maxAttempts: 3 })).toMatchObject({ action: 'retry' });
    expect(nextAttempt({ ...base, attempt: 3, maxAttempts: 3 })).toEqual({ action: 'give_up' });
  });

  it('disables the endpoint once it has failed 24 h in a row — before this delivery\'s own count', () => {
    const since = (ms: number) => new Date(now.getTime() - ms);
    expect(nextAttempt({ ...base, attempt: 1, firstFailureAt: since(WEBHOOK_DISABLE_AFTER_MS - 1) })).toMatchObject({ action: 'retry' });
    expect(nextAttempt({ ...base, attempt: 1, firstFailureAt: since(WEBHOOK_DISABLE_AFTER_MS) })).toEqual({ action: 'disable' });
    expect(nextAttempt({ ...base, attempt: 15, firstFailureAt: since(25 * HOUR) })).toEqual({ action: 'disable' });
    expect(nextAttempt({ ...base, attempt: 15, firstFailureAt: since(23 * HOUR) })).toEqual({ action: 'give_up' });
    // a failure run that starts now, or (clock skew) in the future, is not 24 h old
    expect(nextAttempt({ ...base, attempt: 1, firstFailureAt: now })).toMatchObject({ action: 'retry' });
    expect(nextAttempt({ ...base, attempt: 1, firstFailureAt: new Date(now.getTime() + HOUR) })).toMatchObject({ action: 'retry' });
  });

  it('refuses nonsense input instead of scheduling something odd', () => {
    expect(() => nextAttempt({ ...base, attempt: 0 })).toThrow(RangeError);
    expect(() => nextAttempt({ ...base, attempt: 1, maxAttempts: 0 })).toThrow(RangeError);
    expect(() => nextAttempt({ ...base, attempt: 1.5 })).toThrow(RangeError);
  });
});
