import { RetryConfig } from '../../config/app-config';

/** Only a serialization failure or a deadlock means "the same work may succeed if done again" (database/pg-errors.ts). */
export { isRetryable } from '../../database/pg-errors';

/**
 * Delay before retry number `retry` (1 = the first retry): exponential growth from the base,
 * capped, with "equal jitter" — half fixed, half random — so that colliding transactions spread
 * out while the wait still grows with each attempt.
 */
export function backoffDelayMs(retry: number, config: RetryConfig, random: () => number = Math.random): number {
  const ceiling = Math.min(config.maxDelayMs, config.baseDelayMs * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
