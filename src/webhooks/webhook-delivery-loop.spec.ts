import { AppConfig } from '../config/app-config';
import { WebhookDeliveryLoop } from './webhook-delivery-loop.service';
import { WebhookDispatcher } from './webhook-dispatcher.service';
import { CLAIM_BATCH, WebhookWorker } from './webhook-worker.service';

/** A loop over fakes: the worker makes `batches[i]` attempts on its i-th pass. */
function loopWith(batches: number[]) {
  const calls = { dispatcher: 0, worker: 0 };
  const dispatcher = { runOnce: async () => void calls.dispatcher++ } as unknown as WebhookDispatcher;
  const worker = { runOnce: async () => Array.from({ length: batches[calls.worker++] ?? 0 }, () => 'delivered') } as unknown as WebhookWorker;
  const config = { webhooks: { pollIntervalMs: 3_600_000 } } as AppConfig;
  const loop = new WebhookDeliveryLoop(config, dispatcher, worker);
  return { calls, tick: () => (loop as unknown as { tick(): Promise<void> }).tick() };
}

describe('WebhookDeliveryLoop', () => {
  it('runs passes back to back while the worker claims full batches, then waits for the next tick', async () => {
    const { calls, tick } = loopWith([CLAIM_BATCH, CLAIM_BATCH, 3, CLAIM_BATCH]);
    await tick();
    expect(calls).toEqual({ dispatcher: 3, worker: 3 });
    await tick();
    expect(calls).toEqual({ dispatcher: 5, worker: 5 }); // the 4th (full) and a 5th (empty)
  });

  it('makes one pass per tick when there is little to do', async () => {
    const { calls, tick } = loopWith([1, 0]);
    await tick();
    expect(calls).toEqual({ dispatcher: 1, worker: 1 });
  });
});
