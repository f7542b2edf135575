import { Controller, Get, Headers, Header, Inject } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { timingSafeEqual } from 'node:crypto';
import { Public } from '../shared/auth/decorators';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { NoRateLimit } from '../rate-limit/rate-limit.decorators';
import { UnauthorizedError } from '../shared/errors/api-error';
import { MetricsService } from './metrics.service';

/**
 * Whether an Authorization header is `Bearer <token>`, in constant time. Node hands header values
 * over as latin1 (one character per byte), so `latin1` gives back the bytes as sent, compared with
 * the token's UTF-8 bytes. Byte lengths are compared first: timingSafeEqual throws on unequal ones.
 */
function isBearer(header: string, token: string): boolean {
  const given = Buffer.from(header, 'latin1');
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

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
    if (token && !isBearer(authorization ?? '', token)) throw new UnauthorizedError('Bearer METRICS_TOKEN required');
    return this.metrics.registry.metrics();
  }
}
