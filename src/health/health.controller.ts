import { BeforeApplicationShutdown, Controller, Get, Injectable } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService, MikroOrmHealthIndicator } from '@nestjs/terminus';
import { Public } from '../auth/decorators';
import { DatabaseState } from '../database/database.module';
import { NoRateLimit } from '../rate-limit/rate-limit.decorators';
import { ApiError } from '../shared/errors/api-error';

/** Set when shutdown begins, so the orchestrator stops routing traffic here first. */
@Injectable()
export class ShutdownState implements BeforeApplicationShutdown {
  shuttingDown = false;

  begin(): void {
    this.shuttingDown = true;
  }

  beforeApplicationShutdown(): void {
    this.begin();
  }
}

@ApiTags('health')
@Controller('health')
@Public()
@NoRateLimit()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly database: MikroOrmHealthIndicator,
    private readonly databaseState: DatabaseState,
    private readonly shutdown: ShutdownState,
  ) {}

  /** The process answers: nothing else is checked, so a database outage never restarts the pod. */
  @Get('live')
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  /** Database reachable, migrations applied, not shutting down. */
  @Get('ready')
  @HealthCheck()
  async ready() {
    try {
      return await this.health.check([
        () => (this.shutdown.shuttingDown ? this.indicator.check('lifecycle').down('shutting down') : this.indicator.check('lifecycle').up()),
        () => (this.databaseState.migrated ? this.indicator.check('migrations').up() : this.indicator.check('migrations').down('pending')),
        () => this.database.pingCheck('database', { timeout: 1000 }),
      ]);
    } catch (error) {
      const details = (error as { getResponse?: () => unknown }).getResponse?.() as { error?: Record<string, unknown> } | undefined;
      const failing = Object.keys(details?.error ?? {});
      throw new ApiError(503, 'NOT_READY', `Not ready: ${failing.join(', ') || 'unknown'}`, { details: details?.error ?? {} }, { 'Retry-After': '5' });
    }
  }
}
