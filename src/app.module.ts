import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AuthModule } from './auth/auth.module';
import { JwtAuthGuard } from './auth/jwt-auth.guard';
import { RolesGuard } from './auth/roles.guard';
import { AuthorizationsModule } from './authorizations/authorizations.module';
import { AppConfig } from './config/app-config';
import { AppConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { EventsModule } from './events/events.module';
import { HealthModule } from './health/health.module';
import { IdempotencyModule } from './idempotency/idempotency.module';
import { MetricsModule } from './metrics/metrics.module';
import { OrganizationsModule } from './organizations/organizations.module';
import { rateLimitOptions } from './rate-limit/rate-limit.options';
import { RateLimitGuard } from './rate-limit/rate-limit.guard';
import { MemoryRateLimitStorage } from './rate-limit/memory-rate-limit.storage';
import { redisRateLimitStorage } from './rate-limit/redis-rate-limit.storage';
import { ApiExceptionFilter } from './shared/errors/api-exception.filter';
import { JsonBodyGuard } from './shared/http/json-body.guard';
import { NoBodyGuard } from './shared/http/no-body.guard';
import { TransactionsModule } from './shared/transactions/transactions.module';
import { UsersModule } from './users/users.module';
import { UtilizationModule } from './utilization/utilization.module';
import { WebhooksModule } from './webhooks/webhooks.module';

@Module({})
export class AppModule {
  /** `config` is validated and has a database URL (the embedded database's, when none was given). */
  static register(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.register(config),
        DatabaseModule,
        MetricsModule,
        TransactionsModule,
        IdempotencyModule,
        ThrottlerModule.forRoot(rateLimitOptions(config, config.redisUrl ? redisRateLimitStorage(config.redisUrl) : new MemoryRateLimitStorage())),
        AuthModule,
        UsersModule,
        OrganizationsModule,
        AuthorizationsModule,
        UtilizationModule,
        EventsModule,
        WebhooksModule,
        HealthModule,
      ],
      providers: [
        // Order matters: who you are, then what your role allows, then your rate limit — all before
        // a byte of the body is parsed; then the body, and no body where the route takes none.
        // (The login limits, keyed by the email in the body, are a route guard: LoginRateLimited.)
        { provide: APP_GUARD, useExisting: JwtAuthGuard },
        { provide: APP_GUARD, useExisting: RolesGuard },
        { provide: APP_GUARD, useClass: RateLimitGuard },
        { provide: APP_GUARD, useClass: JsonBodyGuard },
        { provide: APP_GUARD, useClass: NoBodyGuard },
        { provide: APP_FILTER, useClass: ApiExceptionFilter },
      ],
    };
  }
}
