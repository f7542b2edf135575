import { Inject, Injectable } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { ApiError } from '../errors/api-error';
import { ContentionRetryExhaustedError } from '../errors/business-errors';
import { isBusinessRejection } from '../errors/business-rejection';
import { backoffDelayMs, isRetryable } from './retry-policy';
import { TRANSACTION_METRICS, TransactionMetrics } from './transaction-metrics';
import { UnitOperation } from './unit-operation';

/**
 * The one retry service: runs a whole attempt (every read and decision) again after a
 * serialization failure or deadlock, with exponential backoff and jitter; anything else fails at
 * once; after the last attempt a conflict becomes 503 CONTENTION_RETRY_EXHAUSTED. Records the
 * unit_transaction_* metrics when the work is a labelled unit operation. Used by the
 * RetryInterceptor (every state-changing request) and by the expiry sweeper (no HTTP); nothing
 * else retries.
 */
@Injectable()
export class TransactionRetrier {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(TRANSACTION_METRICS) private readonly metrics: TransactionMetrics,
  ) {}

  async run<T>(operation: UnitOperation | undefined, attempt: () => Promise<T>): Promise<T> {
    const { maxAttempts } = this.config.retry;
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    for (let attemptNo = 1; ; attemptNo++) {
      try {
        const result = await attempt();
        if (operation) this.metrics.recordTransaction(operation, 'committed', attemptNo, seconds());
        return result;
      } catch (error) {
        if (isRetryable(error) && attemptNo < maxAttempts) {
          if (operation) this.metrics.recordRetry(operation);
          await sleep(backoffDelayMs(attemptNo, this.config.retry));
          continue;
        }
        if (operation) this.record(operation, error, attemptNo, seconds());
        if (isRetryable(error)) throw new ContentionRetryExhaustedError(attemptNo);
        throw error;
      }
    }
  }

  private record(operation: UnitOperation, error: unknown, attempts: number, seconds: number): void {
    if (isBusinessRejection(error)) {
      this.metrics.recordTransaction(operation, 'rejected', attempts, seconds);
    } else if (!(error instanceof ApiError && error.status < 500)) {
      this.metrics.recordTransaction(operation, 'failed', attempts, seconds);
    }
    // Other 4xx (validation, authorization) never reached a transaction: nothing to record.
  }
}
