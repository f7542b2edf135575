import { Injectable } from '@nestjs/common';
import { Database } from '../database/database.service';
import { MetricsService } from '../metrics/metrics.service';
import { WebhookClock } from './webhook-clock';
import { webhookDeliveryRepository } from './webhook-delivery.repository';

/** Events read per dispatcher statement. */
export const DISPATCH_BATCH = 500;
/** Statements per pass at most (the rest waits for the next pass). */
const MAX_BATCHES_PER_PASS = 20;

/**
 * Fan-out (SPEC §11): every event becomes one delivery per enabled endpoint of its organization
 * subscribed to its type, exactly once. The dispatcher follows the outbox with the change feed's
 * rule (only events of finished transactions, in (xid, seq) order, so none is ever passed over),
 * from a cursor kept in webhook_dispatch_cursor; each batch is one statement that locks the cursor
 * (SKIP LOCKED: one instance dispatches at a time, the others skip), inserts the deliveries (unique
 * per endpoint and event) and moves the cursor — all or nothing.
 */
@Injectable()
export class WebhookDispatcher {
  constructor(
    private readonly database: Database,
    private readonly clock: WebhookClock,
    private readonly metrics: MetricsService,
  ) {}

  /** One pass: fans out the settled events (up to 20 batches); returns how many events and deliveries it made. */
  async runOnce(): Promise<{ events: number; deliveries: number }> {
    const total = { events: 0, deliveries: 0 };
    for (let batch = 0; batch < MAX_BATCHES_PER_PASS; batch++) {
      // A plain read first: a pass with nothing to deliver takes no lock and no transaction id (an
      // instance polling every second must not hold back the feed's xmin horizon for nothing).
      if (!(await webhookDeliveryRepository.hasWork(this.database, DISPATCH_BATCH))) break;
      const made = await webhookDeliveryRepository.dispatch(this.database, this.clock.now(), DISPATCH_BATCH);
      total.events += made.events;
      total.deliveries += made.deliveries;
      // 0: another instance holds the cursor (it is dispatching these events); fewer: all read.
      if (made.events < DISPATCH_BATCH) break;
    }
    this.metrics.setOutboxPending(await webhookDeliveryRepository.pendingEvents(this.database));
    return total;
  }
}
