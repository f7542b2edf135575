import { Global, Module } from '@nestjs/common';
import { AuthorizationLanes } from './authorization-lanes';
import { TransactionRetrier } from './transaction-retrier';
import { UnitOfWork } from './unit-of-work.service';

@Global()
@Module({
  providers: [UnitOfWork, TransactionRetrier, AuthorizationLanes],
  exports: [UnitOfWork, TransactionRetrier, AuthorizationLanes],
})
export class TransactionsModule {}
