import { INestApplication, Logger, RequestMethod } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module';
import { BootstrapAdmin } from './auth/bootstrap-admin.service';
import type { DestinationStream } from 'pino';
import { AppConfig } from './config/app-config';
import { DatabaseState } from './database/database.module';
import { createJsonLogger, NestJsonLogger } from './logging/json-logger';
import { requestLogMiddleware } from './logging/request-log.middleware';
import { httpMetricsMiddleware } from './metrics/http-metrics.middleware';
import { MetricsService } from './metrics/metrics.service';
import { documentRateLimits } from './rate-limit/rate-limit.openapi';
import { queryGuardMiddleware } from './shared/http/query-guard.middleware';
import { createValidationPipe } from './shared/http/validation.pipe';
import { answerEarlyRefusals, applyConnectionLimits, shutdownMiddleware } from './shared/http/http-server';
import { securityHeadersMiddleware } from './shared/http/security-headers';
import { installLeanAsyncResourceBind } from './shared/runtime/lean-async-resource-bind';
import { ShutdownState } from './health/readiness.service';

/**
 * Builds the whole application on a migrated database, ready to listen. Used by main.ts and by
 * the end-to-end tests, so both run exactly the same HTTP pipeline.
 */
export async function createApp(config: AppConfig, logDestination?: DestinationStream): Promise<INestApplication> {
  // Before Nest binds anything: makes every interceptor (the global RetryInterceptor) cheap on Node 20.
  installLeanAsyncResourceBind();
  const logger = createJsonLogger(config.logLevel, logDestination);
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), {
    logger: new NestJsonLogger(logger),
    bodyParser: false,
    // Throw on a failed start instead of exiting, so the caller (main.ts, tests) decides.
    abortOnError: false,
  });
  applyConnectionLimits(app.getHttpServer(), {
    keepAliveTimeoutMs: config.httpKeepAliveTimeoutMs,
    headersTimeoutMs: config.httpHeadersTimeoutMs,
    requestTimeoutMs: config.httpRequestTimeoutMs,
    maxConnections: config.httpMaxConnections,
  });
  answerEarlyRefusals(app.getHttpServer());
  app.use(securityHeadersMiddleware);
  app.use(shutdownMiddleware(app.get(ShutdownState)));
  app.use(requestLogMiddleware(logger));
  // Bodies are parsed by JsonBodyGuard, after authentication and the per-user/per-IP limits.
  app.use(queryGuardMiddleware);
  app.use(httpMetricsMiddleware(app.get(MetricsService)));
  app.set('trust proxy', config.trustProxy);
  app.disable('x-powered-by');
  // Responses are never conditional GETs here; hashing every body for an ETag is wasted work.
  app.set('etag', false);
  app.setGlobalPrefix('api/v1', {
    exclude: [
      { path: 'health/live', method: RequestMethod.GET },
      { path: 'health/ready', method: RequestMethod.GET },
      { path: 'metrics', method: RequestMethod.GET },
    ],
  });
  app.useGlobalPipes(createValidationPipe());

  // API_DOCS: by default outside production only (load-config.ts); otherwise /api/docs is a 404.
  if (config.apiDocs) {
    const document = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('Unit Ledger')
        .setDescription('Insurance-authorized therapy units that can never be overbooked.')
        .setVersion('1.0')
        .addBearerAuth()
        .build(),
    );
    SwaggerModule.setup('api/docs', app, documentRateLimits(document, '/api/v1/'), { jsonDocumentUrl: 'api/docs-json' });
  }

  const applied = await app.get(DatabaseState).migrate();
  if (applied.length) new Logger('Database').log(`Applied migrations: ${applied.join(', ')}`);
  await app.get(BootstrapAdmin).ensure();
  return app;
}
