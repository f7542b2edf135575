import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { WebhookDispatcher } from './webhook-dispatcher.service';
import { WebhookWorker } from './webhook-worker.service';

/**
 * Every WEBHOOK_POLL_INTERVAL_MS, on every instance: a dispatcher pass (fan-out), then a worker pass
 * (the due attempts). One pass at a time per instance; several instances share the work through
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
  private readonly passes = new Set<Promise<void>>();

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
    this.running = this.runOnce()
      .then(() => undefined)
      .catch((error) => this.logger.warn(`webhook delivery pass failed (tried again next pass): ${(error as Error).message}`))
      .finally(() => (this.running = undefined));
    await this.running;
  }

  /** One dispatcher pass, then one worker pass. */
  runOnce(): Promise<void> {
    const pass = (async () => {
      await this.dispatcher.runOnce();
      await this.worker.runOnce();
    })();
    this.passes.add(pass);
    void pass.catch(() => undefined).finally(() => this.passes.delete(pass));
    return pass;
  }
}
