import { Inject, Injectable, Logger } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database.service';
import { eventsRepository } from '../events/events.repository';
import { MetricsService } from '../metrics/metrics.service';
import { nextAttempt, WEBHOOK_DISABLE_AFTER_MS } from './webhook-backoff';
import { WebhookClock } from './webhook-clock';
import { ClaimedDelivery, webhookDeliveryRepository } from './webhook-delivery.repository';
import { EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, signatureHeader } from './webhook-signature';
import { postWebhook, WEBHOOK_TIMEOUT_MS, WebhookAttemptResult } from './webhook-transport';
import { WebhookUrlPolicy } from './webhook-url.policy';
import { canonicalEventTypes } from './webhook-event-types';

/** The attempt's number (1 for the first), for receivers that log retries. */
export const DELIVERY_ATTEMPT_HEADER = 'Unit-Ledger-Delivery-Attempt';
/** Attempts claimed (and then made concurrently) per pass of one instance. */
export const CLAIM_BATCH = 20;
/**
 * How long a claim keeps other instances off an attempt: the 10 s deadline of the POST, the URL
 * check (DNS, at most 5 s) and room for writing the result. An instance that dies mid-attempt
 * leaves the delivery to be tried again by another once the lease has run out.
 */
export const LEASE_MS = 30_000;
const MAX_ERROR_LENGTH = 500;

/** What became of one attempt. */
export type AttemptOutcome = 'delivered' | 'failed' | 'gave_up' | 'refused' | 'disabled' | 'superseded';

/**
 * Delivery (SPEC §11): claims due deliveries (committed before any POST: a claim is one autocommit
 * statement, FOR UPDATE SKIP LOCKED, counting the attempt and taking a lease), then for each
 * re-checks the URL (DNS may have changed since registration), POSTs the signed event, and writes
 * the result under the attempt's number (a stale instance's late result changes nothing). A 2xx
 * within 10 s is a delivery; anything else follows nextAttempt(): retry at its time, give up, or
 * disable the endpoint (with a `webhook_endpoint.disabled` event in the same transaction).
 */
@Injectable()
export class WebhookWorker {
  private readonly logger = new Logger(WebhookWorker.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly database: Database,
    private readonly clock: WebhookClock,
    private readonly urls: WebhookUrlPolicy,
    private readonly metrics: MetricsService,
  ) {}

  /** One pass: claims up to CLAIM_BATCH due deliveries and makes their attempts; returns each outcome. */
  async runOnce(): Promise<AttemptOutcome[]> {
    const now = this.clock.now();
    const claimed = await webhookDeliveryRepository.claim(this.database, now, new Date(now.getTime() + LEASE_MS), CLAIM_BATCH);
    const results = await Promise.allSettled(claimed.map((delivery) => this.attempt(delivery)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) this.logger.warn(`a webhook attempt's result could not be written (its lease will run out and it is tried again): ${(failed.reason as Error).message}`);
    return results.filter((r): r is PromiseFulfilledResult<AttemptOutcome> => r.status === 'fulfilled').map((r) => r.value);
  }

  private async attempt(d: ClaimedDelivery): Promise<AttemptOutcome> {
    const check = await this.urls.check(d.url).catch((error: Error) => ({ ok: false as const, reason: 'UNRESOLVABLE', detail: error.message }));
    if (!check.ok) {
      return this.failure(d, { status: null, error: truncate(`URL refused (${check.reason}): ${check.detail}`) }, 'refused');
    }
    const body = JSON.stringify({ id: d.eventId, type: d.eventType, organizationId: d.organizationId, occurredAt: d.occurredAt, data: d.data });
    // The signature's time is real time (the receiver compares it with its own clock).
    const headers = {
      [EVENT_ID_HEADER]: d.eventId,
      [EVENT_TYPE_HEADER]: d.eventType,
      [SIGNATURE_HEADER]: signatureHeader(d.secret, Math.floor(Date.now() / 1000), body),
      [DELIVERY_ATTEMPT_HEADER]: String(d.attempt),
    };
    const result = await postWebhook({ check, body, headers, timeoutMs: WEBHOOK_TIMEOUT_MS });
    if (result.delivered) {
      if (!(await webhookDeliveryRepository.delivered(this.database, d, this.clock.now(), result.status))) return 'superseded';
      this.metrics.recordWebhookAttempt('delivered');
      this.metrics.recordWebhookLag((Date.now() - Date.parse(d.occurredAt)) / 1000);
      return 'delivered';
    }
    return this.failure(d, describe(result), 'failed');
  }

  private async failure(d: ClaimedDelivery, result: { status: number | null; error: string | null }, kind: 'failed' | 'refused'): Promise<AttemptOutcome> {
    const now = this.clock.now();
    const firstFailureAt = d.failingSince === null ? null : new Date(d.failingSince);
    const next = nextAttempt({ attempt: d.attempt, firstFailureAt, now, random: () => this.clock.random(), maxAttempts: this.config.webhooks.maxAttempts });
    if (next.action === 'disable') {
      const disabled = await this.database.serializable(async (tx) => {
        const endpoint = await webhookDeliveryRepository.disable(tx, d, result, `Every delivery failed for ${WEBHOOK_DISABLE_AFTER_MS / 3_600_000} h in a row (since ${d.failingSince})`);
        if (endpoint) {
          const data = { ...endpoint, events: canonicalEventTypes(endpoint.events as string[]) };
          await eventsRepository.insert(tx, [{ type: 'webhook_endpoint.disabled', organizationId: d.organizationId, data }]);
        }
        return endpoint === false ? 'superseded' : endpoint ? 'disabled' : 'gave_up';
      });
      if (disabled === 'superseded') return disabled;
      this.metrics.recordWebhookAttempt(kind === 'refused' ? 'refused' : 'gave_up');
      if (disabled === 'disabled') this.logger.warn(`webhook endpoint ${d.endpointId} disabled after 24 h of failed deliveries`);
      return disabled;
    }
    const retryAt = next.action === 'retry' ? next.at : null;
    if (!(await webhookDeliveryRepository.failed(this.database, d, now, result, retryAt))) return 'superseded';
    const outcome = kind === 'refused' ? 'refused' : retryAt === null ? 'gave_up' : 'failed';
    this.metrics.recordWebhookAttempt(outcome);
    return retryAt === null ? 'gave_up' : kind;
  }
}

function describe(result: WebhookAttemptResult): { status: number | null; error: string | null } {
  if (result.status === null) return { status: null, error: truncate(result.error) };
  return { status: result.status, error: truncate(`HTTP ${result.status}`) };
}

const truncate = (text: string) => (text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text);
