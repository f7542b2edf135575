// SPEC §11: a delivery that is not a 2xx within 10 s is retried with exponential backoff and
// jitter — 1 s, doubling, capped at 1 h — and given up after WEBHOOK_MAX_ATTEMPTS (default 15);
// an endpoint that has failed for 24 h in a row is disabled.
//
// Jitter: "equal jitter" — the wait after attempt n is drawn uniformly from [d/2, d], where
// d = min(1 h, 1 s × 2^(n-1)). Full jitter ([0, d]) spreads a herd a little more, but can retry
// at once after a failure and makes the schedule unrecognisable; equal jitter keeps every wait
// at least half the nominal one (so "1 s, doubling" still describes it and a receiver that is
// down gets real rest), while deliveries that failed together (a receiver's outage) still come
// back spread over half of each interval. With the defaults a delivery is given up between
// ~1.6 h and ~3.1 h after its first attempt (waits after attempts 1–14: 1 s … 2048 s, then the
// cap twice); the 24 h rule is about the endpoint, whose run of failures spans many events.

export const WEBHOOK_BASE_DELAY_MS = 1_000;
export const WEBHOOK_MAX_DELAY_MS = 3_600_000;
export const WEBHOOK_DISABLE_AFTER_MS = 24 * 3_600_000;
export const DEFAULT_WEBHOOK_MAX_ATTEMPTS = 15;

/** The nominal wait after the n-th failed attempt (n ≥ 1), before jitter: 1 s × 2^(n-1), at most 1 h. */
export function nominalDelayMs(attempt: number): number {
  if (!Number.isSafeInteger(attempt) || attempt < 1) throw new RangeError('attempt must be an integer from 1');
  // 2^(n-1) s passes the cap from n = 13 on; no overflow for any n.
  return attempt > 13 ? WEBHOOK_MAX_DELAY_MS : Math.min(WEBHOOK_MAX_DELAY_MS, WEBHOOK_BASE_DELAY_MS * 2 ** (attempt - 1));
}

/** The wait after the n-th failed attempt: uniform in [d/2, d] for d = nominalDelayMs(n); random() in [0, 1). */
export function retryDelayMs(attempt: number, random: () => number): number {
  const nominal = nominalDelayMs(attempt);
  const r = random();
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
  return Math.round(nominal / 2 + (unit * nominal) / 2);
}

export interface NextAttemptInput {
  /** Attempts made so far for this delivery, the failed one just now included (1 after the first). */
  attempt: number;
  /** When the endpoint's current run of consecutive failures began; null when this failure starts it. */
  firstFailureAt: Date | null;
  now: Date;
  /** Uniform in [0, 1): Math.random in production, a fixed source in tests. */
  random: () => number;
  /** WEBHOOK_MAX_ATTEMPTS. */
  maxAttempts: number;
}

export type NextAttempt =
  /** Try this delivery again at `at` (now + delayMs). */
  | { action: 'retry'; at: Date; delayMs: number }
  /** This delivery has had its attempts: mark it failed; the endpoint stays enabled. */
  | { action: 'give_up' }
  /** The endpoint has failed for 24 h in a row: disable it (and stop its pending deliveries). */
  | { action: 'disable' };

/**
 * What follows a failed attempt. The endpoint's rule comes first (24 h of failure disables it,
 * whatever this delivery's count), then this delivery's (its last attempt gives it up).
 */
export function nextAttempt({ attempt, firstFailureAt, now, random, maxAttempts }: NextAttemptInput): NextAttempt {
  if (!Number.isSafeInteger(attempt) || attempt < 1) throw new RangeError('attempt must be an integer from 1');
  if (!Number.isSafeInteger(maxAttempts) || maxAttempts < 1) throw new RangeError('maxAttempts must be an integer from 1');
  const failingFor = firstFailureAt === null ? 0 : now.getTime() - firstFailureAt.getTime();
  if (failingFor >= WEBHOOK_DISABLE_AFTER_MS) return { action: 'disable' };
  if (attempt >= maxAttempts) return { action: 'give_up' };
  const delayMs = retryDelayMs(attempt, random);
  return { action: 'retry', at: new Date(now.getTime() + delayMs), delayMs };
}
