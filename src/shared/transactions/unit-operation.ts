import { SetMetadata } from '@nestjs/common';

export type UnitOperation = 'reserve' | 'release' | 'consume' | 'expire' | 'adjust';
export const UNIT_OPERATIONS: UnitOperation[] = ['reserve', 'release', 'consume', 'expire', 'adjust'];

export const UNIT_OPERATION_KEY = 'unit-ledger:unit-operation';
/** Labels a handler's transactions in the unit_transaction_* metrics. */
export const UnitOperationName = (operation: UnitOperation) => SetMetadata(UNIT_OPERATION_KEY, operation);
