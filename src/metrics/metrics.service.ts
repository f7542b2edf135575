import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { TransactionMetrics, TransactionOutcome } from '../shared/transactions/transaction-metrics';
import { UNIT_OPERATIONS, UnitOperation } from '../shared/transactions/unit-operation';

export type { TransactionOutcome } from '../shared/transactions/transaction-metrics';
export type UnitMovement = 'reserve' | 'release' | 'consume' | 'expire';
const UNIT_MOVEMENTS: UnitMovement[] = ['reserve', 'release', 'consume', 'expire'];
/**
 * What became of one webhook delivery attempt (SPEC §11): delivered (2xx within 10 s), failed (to be
 * retried), gave_up (its last attempt failed, or its endpoint was disabled after 24 h of failures),
 * refused (the URL no longer passed the check made before each attempt; retried like a failure).
 */
export type WebhookOutcome = 'delivered' | 'failed' | 'gave_up' | 'refused';
const WEBHOOK_OUTCOMES: WebhookOutcome[] = ['delivered', 'failed', 'gave_up', 'refused'];

/** The series of SPEC §7, on a registry of this application instance (not prom-client's global one). */
@Injectable()
export class MetricsService implements TransactionMetrics {
  readonly registry = new Registry();

  private readonly transactions = new Counter({
    name: 'unit_transactions_total',
    help: 'Finished unit-of-work transactions by operation and outcome (committed, rejected by a business rule, failed).',
    labelNames: ['operation', 'outcome'] as const,
    registers: [this.registry],
  });
  private readonly retries = new Counter({
    name: 'unit_transaction_retries_total',
    help: 'Retries after a serialization failure (40001) or deadlock (40P01).',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });
  private readonly failures = new Counter({
    name: 'unit_transaction_failures_total',
    help: 'Transactions that gave up after the last attempt.',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });
  private readonly attempts = new Histogram({
    name: 'unit_transaction_attempts',
    help: 'Attempts per finished transaction.',
    labelNames: ['operation'] as const,
    buckets: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    registers: [this.registry],
  });
  private readonly transactionDuration = new Histogram({
    name: 'unit_transaction_duration_seconds',
    help: 'Whole unit-of-work transaction time, retries included.',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  /** Units moved, by ledger movement: what the counters of every authorization together did. */
  private readonly units = new Counter({
    name: 'unit_units_total',
    help: 'Units moved by committed unit operations, by movement: reserve, release (incl. the unconsumed rest of a consume), consume, expire.',
    labelNames: ['movement'] as const,
    registers: [this.registry],
  });

  private readonly webhookDeliveries = new Counter({
    name: 'webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome: delivered, failed (retried later), gave_up, refused (URL check failed).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly webhookLag = new Histogram({
    name: 'webhook_delivery_lag_seconds',
    help: 'From an event (its occurred_at) to the 2xx answer of a webhook delivery.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 10800],
    registers: [this.registry],
  });
  private readonly outboxPending = new Gauge({
    name: 'outbox_pending_events',
    help: 'Committed events that an enabled webhook endpoint subscribes to, not yet fanned out to deliveries, among the next 10000 (set on each dispatcher pass).',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    // prom-client names these gauges with a _total suffix, which Prometheus reserves for counters
    // (promtool check metrics fails on them); the same figures remain without the suffix.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      this.registry.removeSingleMetric(name);
    }
    // Every series exists from the start, so rates are defined before the first event.
    for (const operation of UNIT_OPERATIONS) {
      this.retries.inc({ operation }, 0);
      this.failures.inc({ operation }, 0);
      for (const outcome of ['committed', 'rejected', 'failed'] as const) this.transactions.inc({ operation, outcome }, 0);
    }
    for (const movement of UNIT_MOVEMENTS) this.units.inc({ movement }, 0);
    for (const outcome of WEBHOOK_OUTCOMES) this.webhookDeliveries.inc({ outcome }, 0);
    this.outboxPending.set(0);
  }

  recordWebhookAttempt(outcome: WebhookOutcome): void {
    this.webhookDeliveries.inc({ outcome });
  }

  recordWebhookLag(seconds: number): void {
    this.webhookLag.observe(Math.max(0, seconds));
  }

  setOutboxPending(events: number): void {
    this.outboxPending.set(events);
  }

  recordUnits(movement: UnitMovement, units: number): void {
    this.units.inc({ movement }, units);
  }

  recordRetry(operation: UnitOperation): void {
    this.retries.inc({ operation });
  }

  recordTransaction(operation: UnitOperation, outcome: TransactionOutcome, attempts: number, seconds: number): void {
    this.transactions.inc({ operation, outcome });
    this.attempts.observe({ operation }, attempts);
    this.transactionDuration.observe({ operation, outcome }, seconds);
    if (outcome === 'failed') this.failures.inc({ operation });
  }
}
