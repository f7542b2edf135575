export type UnitOperation = 'reserve' | 'release' | 'consume' | 'expire' | 'adjust';
export const UNIT_OPERATIONS: UnitOperation[] = ['reserve', 'release', 'consume', 'expire', 'adjust'];

/** Handler metadata: the unit operation whose transactions a handler runs. */
export const UNIT_OPERATION_KEY = 'unit-ledger:unit-operation';
