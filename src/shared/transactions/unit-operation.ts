import { SetMetadata } from '@nestjs/common';

export type UnitOperation = 'reserve' | 'release' | 'consume' | 'expire' | 'adjust';
export const UNIT_OPERATIONS: UnitOperation[] = ['reserve', 'release', 'consume', 'expire', 'adjust'];

/** Handler metadata: the unit operation whose transactions a handler runs. */
export const UNIT_OPERATION_KEY = 'unit-ledger:unit-operation';

/**
 * Names the unit operation a handler runs, for the unit_transaction_* metrics. It does not turn
 * retries on: every state-changing route is retried by the global RetryInterceptor anyway.
 */
export const CountedAs = (operation: UnitOperation) => SetMetadata(UNIT_OPERATION_KEY, operation);
