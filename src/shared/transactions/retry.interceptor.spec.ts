import { CallHandler, ExecutionContext } from '@nestjs/common';
import { defer, lastValueFrom, of } from 'rxjs';
import { AppConfig } from '../../config/app-config';
import { MetricsService } from '../../metrics/metrics.service';
import { ConflictError } from '../errors/api-error';
import { ContentionRetryExhaustedError } from '../errors/business-errors';
import { retryDecision, RetryInterceptor } from './retry.interceptor';
import { TransactionRetrier } from './transaction-retrier';
import { CountedAs } from './unit-operation';

const serializationFailure = () => Object.assign(new Error('could not serialize access'), { code: '40001' });
const deadlock = () => Object.assign(new Error('deadlock detected'), { code: '40P01' });

async function value(metrics: MetricsService, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await metrics.registry.getSingleMetric(name)!.get()).values;
  return metric.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((sum, v) => sum + v.value, 0);
}

class Handlers {
  @CountedAs('reserve')
  reserve(): void {}
  unlabelled(): void {}
}

function contextFor(method: string, handler: () => void, type = 'http'): ExecutionContext {
  return { getType: () => type, getArgByIndex: (i: number) => (i === 0 ? { method } : undefined), getHandler: () => handler } as unknown as ExecutionContext;
}

/** A CallHandler whose every handle() runs the handler again, as Nest's does. */
function handlerThat(attempt: () => Promise<unknown>): CallHandler & { calls: number } {
  const next = { calls: 0, handle: () => defer(() => (next.calls++, attempt())) };
  return next;
}

describe('retryDecision', () => {
  it.each(['POST', 'PATCH', 'DELETE', 'PUT', 'post'])('retries %s (state-changing) requests', (method) => {
    expect(retryDecision('http', method, 'reserve')).toEqual({ retry: true, operation: 'reserve' });
    expect(retryDecision('http', method, undefined)).toEqual({ retry: true, operation: undefined });
  });

  it.each(['GET', 'HEAD', 'OPTIONS', 'get'])('passes %s (read-only) requests through', (method) => {
    expect(retryDecision('http', method, 'reserve')).toEqual({ retry: false });
  });

  it('passes through anything that is not an HTTP request, or has no method', () => {
    expect(retryDecision('rpc', 'POST', 'reserve')).toEqual({ retry: false });
    expect(retryDecision('http', undefined, 'reserve')).toEqual({ retry: false });
  });
});

describe('RetryInterceptor', () => {
  let metrics: MetricsService;
  const interceptor = (maxAttempts = 5) => new RetryInterceptor(new TransactionRetrier({ retry: { maxAttempts, baseDelayMs: 0, maxDelayMs: 0 } } as AppConfig, metrics));

  beforeEach(() => (metrics = new MetricsService()));

  it('runs a state-changing handler again after 40001 and 40P01, counted under its @CountedAs operation', async () => {
    const failures = [serializationFailure(), deadlock()];
    const next = handlerThat(async () => {
      const failure = failures.shift();
      if (failure) throw failure;
      return 'answer';
    });
    const result = await lastValueFrom(interceptor().intercept(contextFor('POST', Handlers.prototype.reserve), next));
    expect(result).toBe('answer');
    expect(next.calls).toBe(3);
    expect(await value(metrics, 'unit_transaction_retries_total', { operation: 'reserve' })).toBe(2);
    expect(await value(metrics, 'unit_transactions_total', { operation: 'reserve', outcome: 'committed' })).toBe(1);
  });

  it('does not run a handler again for an error that is not a conflict', async () => {
    const next = handlerThat(async () => {
      throw new ConflictError('RESERVATION_NOT_ACTIVE', 'no');
    });
    await expect(lastValueFrom(interceptor().intercept(contextFor('POST', Handlers.prototype.reserve), next))).rejects.toBeInstanceOf(ConflictError);
    expect(next.calls).toBe(1);
  });

  it('gives CONTENTION_RETRY_EXHAUSTED after the last attempt, also for a route without @CountedAs', async () => {
    const next = handlerThat(async () => {
      throw serializationFailure();
    });
    await expect(lastValueFrom(interceptor(3).intercept(contextFor('PATCH', Handlers.prototype.unlabelled), next))).rejects.toBeInstanceOf(ContentionRetryExhaustedError);
    expect(next.calls).toBe(3);
    expect(await value(metrics, 'unit_transaction_retries_total', {})).toBe(0);
  });

  it('hands a read-only route its own handler Observable, untouched (a conflict there is not retried)', () => {
    const handled = of('x');
    const next = { handle: () => handled };
    expect(interceptor().intercept(contextFor('GET', Handlers.prototype.reserve), next)).toBe(handled);
  });
});
