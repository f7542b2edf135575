import { EntityManager } from '@mikro-orm/postgresql';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database } from '../database/database.service';
import { idempotencyRepository } from '../idempotency/idempotency.repository';
import { TransactionRetrier } from '../shared/transactions/transaction-retrier';
import { AuthorizationDeadlines } from './authorization-deadlines.service';
import { reservationRepository } from './reservation.repository';
import { UnitOperationsService } from './unit-operations.service';

const BATCH = 200;

/**
 * Every EXPIRY_SWEEP_INTERVAL_MS: releases reservations whose expiresAt has passed (ledger EXPIRE),
 * forgets idempotency keys older than 25 hours, and writes the authorizations' expiring/expired
 * events that are due (AuthorizationDeadlines). Safe with several instances sweeping at once:
 * each expiry re-reads the reservation in a SERIALIZABLE transaction and only a SCHEDULED one
 * changes, so a reservation expires exactly once.
 */
@Injectable()
export class ExpirySweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ExpirySweeper.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly units: UnitOperationsService,
    private readonly retrier: TransactionRetrier,
    private readonly database: Database,
    private readonly em: EntityManager,
    private readonly deadlines: AuthorizationDeadlines,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), this.config.expirySweepIntervalMs);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async tick(): Promise<void> {
    if (this.running) return;
    this.running = this.sweep()
      .then(() => undefined)
      .catch((error) => this.logger.warn(`expiry sweep failed: ${(error as Error).message}`))
      .finally(() => (this.running = undefined));
    await this.running;
  }

  /** One pass; returns how many reservations this instance expired. */
  async sweep(): Promise<number> {
    const due = await reservationRepository.dueForExpiry(this.database, BATCH);
    // Submitted together, so that the lanes combine them into a few transactions. No HTTP here, so
    // each expiration is retried on 40001/40P01 by TransactionRetrier directly — the same retry
    // service (policy and metrics) the RetryInterceptor uses for requests.
    const results = await Promise.allSettled(due.map(({ id, authorizationId }) => this.retrier.run('expire', () => this.units.expire(id, authorizationId))));
    const expired = results.filter((r) => r.status === 'fulfilled' && r.value).length;
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) this.logger.warn(`some expirations will be tried again next sweep: ${(failed.reason as Error).message}`);
    await idempotencyRepository.deleteExpired(this.em.fork());
    if (expired) this.logger.log(`expired ${expired} reservation(s)`);
    await this.deadlines.announce();
    return expired;
  }
}
