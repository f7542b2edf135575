import { BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { HealthCheckResult, HealthCheckService, HealthIndicatorService, MikroOrmHealthIndicator } from '@nestjs/terminus';
import { Gauge } from 'prom-client';
import { DatabaseState } from '../database/database.module';
import { MetricsService } from '../metrics/metrics.service';
import { ShutdownPhase } from '../shared/http/http-server';

/** Set when shutdown begins, so the orchestrator stops routing traffic here first. */
@Injectable()
export class ShutdownState implements BeforeApplicationShutdown, ShutdownPhase {
  shuttingDown = false;
  servingStopped = false;

  begin(): void {
    this.shuttingDown = true;
  }

  stopServing(): void {
    this.begin();
    this.servingStopped = true;
  }

  beforeApplicationShutdown(): void {
    this.begin();
  }
}

/**
 * Ready = database reachable, migrations applied, not shutting down. Answered on
 * GET /health/ready and exported as the gauge unit_ledger_ready (1/0), computed at each scrape,
 * so alerts do not depend on something probing the endpoint.
 */
@Injectable()
export class Readiness {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly database: MikroOrmHealthIndicator,
    private readonly databaseState: DatabaseState,
    private readonly shutdown: ShutdownState,
    metrics: MetricsService,
  ) {
    const check = () => this.check().then(() => 1, () => 0);
    new Gauge({
      name: 'unit_ledger_ready',
      help: 'Whether this instance is ready (1) or not (0): database reachable, migrations applied, not shutting down.',
      registers: [metrics.registry],
      async collect() {
        this.set(await check());
      },
    });
  }

  /** Resolves with terminus's report when ready; rejects with it (ServiceUnavailableException) when not. */
  check(): Promise<HealthCheckResult> {
    return this.health.check([
      () => (this.shutdown.shuttingDown ? this.indicator.check('lifecycle').down('shutting down') : this.indicator.check('lifecycle').up()),
      () => (this.databaseState.migrated ? this.indicator.check('migrations').up() : this.indicator.check('migrations').down('pending')),
      () => this.database.pingCheck('database', { timeout: 1000 }),
    ]);
  }
}
