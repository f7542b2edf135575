import 'reflect-metadata';
import { INestApplication, Logger } from '@nestjs/common';
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp } from './app.factory';
import { AppConfig } from './config/app-config';
import { ConfigError, loadConfig } from './config/load-config';
import { startEmbeddedPostgres } from './database/embedded-postgres';
import { ShutdownState } from './health/readiness.service';
import { drainHttpServer, DrainLimits } from './shared/http/http-server';

const DRAIN: DrainLimits = { quietMs: 200, drainLimitMs: 30_000 };

/**
 * SIGTERM: readiness answers 503 at once (the orchestrator stops sending traffic), requests keep
 * being served for SHUTDOWN_GRACE_MS, each answer with `Connection: close`; then requests get 503
 * until none has arrived for 200 ms, the listener closes, requests in flight finish, the database
 * pool (and the embedded database) closes, and the process exits 0. SIGINT (Ctrl-C at a
 * terminal) does the same without the grace period.
 */
function shutdownOnSignals(app: INestApplication, config: AppConfig, stopEmbedded?: () => Promise<void>): void {
  const logger = new Logger('Shutdown');
  let started = false;
  const shutdown = async (signal: string) => {
    if (started) return;
    started = true;
    app.get(ShutdownState).begin();
    const grace = signal === 'SIGTERM' ? config.shutdownGraceMs : 0;
    logger.log(`${signal}: not ready any more; serving for ${grace} ms more, then closing`);
    await sleep(grace);
    app.get(ShutdownState).stopServing();
    await drainHttpServer(app.getHttpServer() as Server, DRAIN);
    await app.close();
    await stopEmbedded?.();
    logger.log('closed');
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => void shutdown(signal));
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = new Logger('Main');
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!config.databaseUrl) {
    const embedded = await startEmbeddedPostgres(config.dataDir, (line) => logger.warn(line));
    config.databaseUrl = embedded.url;
    config.embeddedDatabase = true;
    stopEmbedded = embedded.stop;
  }
  const app = await createApp(config);
  if (config.embeddedDatabase) logger.log(`Embedded PostgreSQL running, data in ${config.dataDir}/pg`);
  shutdownOnSignals(app, config, stopEmbedded);
  await app.listen(config.port);
  logger.log(`Unit Ledger listening on http://127.0.0.1:${config.port} (API /api/v1, docs /api/docs)`);
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error('Failed to start:', error instanceof Error ? error.message : error);
  }
  process.exit(1);
});
