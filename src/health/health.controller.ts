import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck } from '@nestjs/terminus';
import { Public } from '../shared/auth/decorators';
import { NoRateLimit } from '../rate-limit/rate-limit.decorators';
import { ApiError } from '../shared/errors/api-error';
import { Readiness } from './readiness.service';

@ApiTags('health')
@Controller('health')
@Public()
@NoRateLimit()
export class HealthController {
  constructor(private readonly readiness: Readiness) {}

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
      return await this.readiness.check();
    } catch (error) {
      const details = (error as { getResponse?: () => unknown }).getResponse?.() as { error?: Record<string, unknown> } | undefined;
      const failing = Object.keys(details?.error ?? {});
      throw new ApiError(503, 'NOT_READY', `Not ready: ${failing.join(', ') || 'unknown'}`, { details: details?.error ?? {} }, { 'Retry-After': '5' });
    }
  }
}
