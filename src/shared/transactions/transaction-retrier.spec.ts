import { AppConfig } from '../../config/app-config';
import { MetricsService } from '../../metrics/metrics.service';
import { ConflictError } from '../errors/api-error';
import { ContentionRetryExhaustedError } from '../errors/business-errors';
import { TransactionRetrier } from './transaction-retrier';

const serializationFailure = () => Object.assign(new Error('could not serialize access'), { code: '40001' });

async function value(metrics: MetricsService, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await metrics.registry.getSingleMetric(name)!.get()).values;
  return metric.filter((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l)).reduce((sum, v) => sum + v.value, 0);
}

describe('TransactionRetrier', () => {
  let metrics: MetricsService;
  let retrier: TransactionRetrier;

  beforeEach(() => {
    metrics = new MetricsService();
    retrier = new TransactionRetrier({ retry: { maxAttempts: 5, baseDelayMs: 0, maxDelayMs: 0 } } as AppConfig, metrics);
  });

  it('runs the whole attempt again after 40001 and records each retry', async () => {
    let calls = 0;
    const result = await retrier.run('reserve', async () => {
      calls++;
      if (calls < 3) throw serializationFailure();
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(calls).toBe(3);
    expect(await value(metrics, 'unit_transaction_retries_total', { operation: 'reserve' })).toBe(2);
    expect(await value(metrics, 'unit_transactions_total', { operation: 'reserve', outcome: 'committed' })).toBe(1);
  });

  it('gives up after the last attempt with CONTENTION_RETRY_EXHAUSTED (503) and counts one failure', async () => {
    let calls = 0;
    const run = retrier.run('consume', async () => {
      calls++;
      throw serializationFailure();
    });
    await expect(run).rejects.toBeInstanceOf(ContentionRetryExhaustedError);
    await expect(run).rejects.toMatchObject({ status: 503, code: 'CONTENTION_RETRY_EXHAUSTED', headers: { 'Retry-After': '1' } });
    expect(calls).toBe(5);
    expect(await value(metrics, 'unit_transaction_retries_total', { operation: 'consume' })).toBe(4);
    expect(await value(metrics, 'unit_transaction_failures_total', { operation: 'consume' })).toBe(1);
    expect(await value(metrics, 'unit_transactions_total', { operation: 'consume', outcome: 'failed' })).toBe(1);
  });

  it('never retries anything else: business rules, validation, other database errors', async () => {
    for (const error of [new ConflictError('INSUFFICIENT_UNITS', 'no'), Object.assign(new Error('dup'), { code: '23505' }), new Error('boom')]) {
      let calls = 0;
      await expect(
        retrier.run('release', async () => {
          calls++;
          throw error;
        }),
      ).rejects.toBe(error);
      expect(calls).toBe(1);
    }
    expect(await value(metrics, 'unit_transaction_retries_total', { operation: 'release' })).toBe(0);
  });

  it('records nothing for unlabelled work', async () => {
    await retrier.run(undefined, async () => 1);
    expect(await value(metrics, 'unit_transactions_total', {})).toBe(0);
  });
});
