import { Controller, Get, Headers, Header, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { timingSafeEqual } from 'node:crypto';
import { Public } from '../auth/decorators';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { NoRateLimit } from '../rate-limit/rate-limit.decorators';
import { UnauthorizedError } from '../shared/errors/api-error';
import { MetricsService } from './metrics.service';

const sameText = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

@ApiExcludeController()
@Controller('metrics')
@Public()
@NoRateLimit()
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(@Headers('authorization') authorization?: string): Promise<string> {
    const token = this.config.metricsToken;
    if (token && !sameText(authorization ?? '', `Bearer ${token}`)) throw new UnauthorizedError('Bearer METRICS_TOKEN required');
    return this.metrics.registry.metrics();
  }
}
