import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { from, lastValueFrom, Observable } from 'rxjs';
import { TransactionRetrier } from './transaction-retrier';
import { UNIT_OPERATION_KEY, UnitOperation } from './unit-operation';

/**
 * Retries the whole handler — a fresh unit of work each time — when its transaction failed with
 * 40001/40P01. Guards (authentication, roles) have run before; validation and business rules
 * fail at once because their errors are not retryable.
 */
@Injectable()
export class RetryInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly retrier: TransactionRetrier,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const operation = this.reflector.get<UnitOperation | undefined>(UNIT_OPERATION_KEY, context.getHandler());
    return from(this.retrier.run(operation, () => lastValueFrom(next.handle(), { defaultValue: undefined })));
  }
}
