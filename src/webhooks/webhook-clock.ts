import { Injectable } from '@nestjs/common';

/**
 * The delivery engine's time and chance: when an attempt is due, leases, the backoff's jitter, the
 * 24 h rule. A provider, so that tests move time (`jest.spyOn(app.get(WebhookClock), 'now')`)
 * instead of sleeping. Not used for the signature's timestamp (the receiver's replay check runs on
 * real time) nor for the lag metric (measured from the event's real occurred_at).
 */
@Injectable()
export class WebhookClock {
  now(): Date {
    return new Date();
  }

  /** Uniform in [0, 1): the jitter source. */
  random(): number {
    return Math.random();
  }
}
