import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { AuthorizationLanes } from './authorization-lanes';
import { RetryInterceptor } from './retry.interceptor';
import { TransactionRetrier } from './transaction-retrier';
import { UnitOfWork } from './unit-of-work.service';

@Global()
@Module({
  // The RetryInterceptor is global: every state-changing route is retried, none needs a decorator.
  providers: [UnitOfWork, TransactionRetrier, AuthorizationLanes, { provide: APP_INTERCEPTOR, useClass: RetryInterceptor }],
  exports: [UnitOfWork, TransactionRetrier, AuthorizationLanes],
})
export class TransactionsModule {}
