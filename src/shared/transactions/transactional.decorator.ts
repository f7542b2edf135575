import { applyDecorators, SetMetadata, UseInterceptors } from '@nestjs/common';
import { RetryInterceptor } from './retry.interceptor';
import { UNIT_OPERATION_KEY, UnitOperation } from './unit-operation';

/**
 * A handler that changes state: its whole work is retried on 40001/40P01 (RetryInterceptor), and
 * a unit operation's transactions are counted in the unit_transaction_* metrics under its name.
 * Reserve, release and consume retry themselves inside UnitOperationsService instead (the
 * interceptor's cost is noticeable on the hot path).
 */
export const Transactional = (operation?: UnitOperation) =>
  applyDecorators(SetMetadata(UNIT_OPERATION_KEY, operation), UseInterceptors(RetryInterceptor));
