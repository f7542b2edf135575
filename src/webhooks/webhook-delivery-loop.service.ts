import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { WebhookDispatcher } from './webhook-dispatcher.service';
import { CLAIM_BATCH, WebhookWorker } from './webhook-worker.service';

/** Back-to-back passes at most per tick while batches come back full (then the next tick). */
const MAX_PASSES_PER_TICK = 50;

/**
 * Every WEBHOOK_POLL_INTERVAL_MS, on every instance: a dispatcher pass (fan-out), then a worker pass
 * (the due attempts), again at once while the worker's batches come back full. One pass at a time per instance; several instances share the work through
 * the database (SKIP LOCKED, leases). On shutdown the timer stops and the pass under way finishes
 * (an attempt is bounded by the 10 s deadline) before the database is closed.
 */
@Injectable()
export class WebhookDeliveryLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookDeliveryLoop.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;
  /** Passes under way (the timer's, and any runOnce() called directly): shutdown waits for them. */
  private readonly passes = new Set<Promise<number>>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly dispatcher: WebhookDispatcher,
    private readonly worker: WebhookWorker,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.config.webhooks.pollIntervalMs);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.allSettled([...this.passes]);
  }

  private async tick(): Promise<void> {
    if (this.running || this.stopped) return;
    this.running = (async () => {
      // A full batch of attempts means more may be due: go on at once instead of waiting a tick.
      for (let pass = 0; pass < MAX_PASSES_PER_TICK && !this.stopped; pass++) {
        if ((await this.runOnce()) < CLAIM_BATCH) break;
      }
    })()
      .catch((error) => this.logger.warn(`webhook delivery pass failed (tried again next pass): ${(error as Error).message}`))
      .finally(() => (this.running = undefined));
    await this.running;
  }

  /** One dispatcher pass, then one worker pass; how many attempts it made. */
  runOnce(): Promise<number> {
    const pass = (async () => {
      await this.dispatcher.runOnce();
      return (await this.worker.runOnce()).length;
    })();
    this.passes.add(pass);
    void pass.catch(() => undefined).finally(() => this.passes.delete(pass));
    return pass;
  }
}
