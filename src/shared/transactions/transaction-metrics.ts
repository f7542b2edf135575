import { UnitOperation } from './unit-operation';

export type TransactionOutcome = 'committed' | 'rejected' | 'failed';

/**
 * What the retry service reports about unit-of-work transactions. Implemented by metrics/
 * (MetricsService, provided under TRANSACTION_METRICS), so that shared/ imports no feature:
 * metrics are fed, not fetched.
 */
export interface TransactionMetrics {
  recordRetry(operation: UnitOperation): void;
  recordTransaction(operation: UnitOperation, outcome: TransactionOutcome, attempts: number, seconds: number): void;
}

export const TRANSACTION_METRICS = Symbol('TransactionMetrics');
