import 'reflect-metadata';
import { INestApplication, Logger } from '@nestjs/common';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createApp } from './app.factory';
import { AppConfig } from './config/app-config';
import { loadConfig } from './config/load-config';
import { startEmbeddedPostgres } from './database/embedded-postgres';
import { ShutdownState } from './health/readiness.service';
import { drainHttpServer, DrainLimits } from './shared/http/http-server';
import { describeStartFailure, StartStep } from './start-failure';

const DRAIN: DrainLimits = { quietMs: 200, drainLimitMs: 30_000 };

interface Running {
  config?: AppConfig;
  app?: INestApplication;
  stopEmbedded?: () => Promise<void>;
}

/**
 * SIGTERM: readiness answers 503 at once (the orchestrator stops sending traffic), requests keep
 * being served for SHUTDOWN_GRACE_MS, each answer with `Connection: close`; then requests get 503
 * until none has arrived for 200 ms, the listener closes, requests in flight finish, the database
 * pool (and the embedded database) closes, and the process exits 0. SIGINT (Ctrl-C at a
 * terminal) does the same without the grace period. A signal during start-up stops at once.
 */
function shutdownOnSignals(running: Running): void {
  const logger = new Logger('Shutdown');
  let started = false;
  const shutdown = async (signal: string) => {
    if (started) return;
    started = true;
    const { app, config } = running;
    if (app && config) {
      app.get(ShutdownState).begin();
      const grace = signal === 'SIGTERM' ? config.shutdownGraceMs : 0;
      logger.log(`${signal}: not ready any more; serving for ${grace} ms more, then closing`);
      await sleep(grace);
      app.get(ShutdownState).stopServing();
      await drainHttpServer(app.getHttpServer() as Server, DRAIN);
      await app.close();
    } else {
      logger.log(`${signal} during start-up: stopping`);
    }
    await running.stopEmbedded?.();
    logger.log('closed');
    process.exit(0);
  };
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => void shutdown(signal));
}

/** The address the server actually bound, as a URL: `http://[::]:3000` is every interface (HOST unset). */
function boundUrl(server: Server): string {
  const { address, family, port } = server.address() as AddressInfo;
  const everywhere = address === '::' || address === '0.0.0.0' ? ' (all interfaces)' : '';
  return `http://${family === 'IPv6' ? `[${address}]` : address}:${port}${everywhere}`;
}

async function main(): Promise<void> {
  const running: Running = {};
  shutdownOnSignals(running);
  let step: StartStep = 'configuration';
  try {
    const config = loadConfig(process.env);
    running.config = config;
    const logger = new Logger('Main');
    if (!config.databaseUrl) {
      step = 'embedded database';
      const embedded = await startEmbeddedPostgres(config.dataDir, (line) => logger.warn(line), config.port);
      running.stopEmbedded = embedded.stop;
      const why = embedded.relocated ? ` (the \`postgres\` user it runs as cannot reach ${config.dataDir}: see README, "Running as root")` : '';
      logger.log(`Embedded PostgreSQL running, data in ${embedded.dataDirectory}${why}`);
      config.databaseUrl = embedded.url;
      config.embeddedDatabase = true;
    }
    step = 'database';
    const app = await createApp(config);
    step = 'listen';
    if (config.host === undefined) await app.listen(config.port);
    else await app.listen(config.port, config.host);
    running.app = app;
    const docs = config.apiDocs ? ', docs /api/docs' : '';
    logger.log(`Unit Ledger listening on ${boundUrl(app.getHttpServer() as Server)} (API /api/v1${docs})`);
  } catch (error) {
    const { config } = running;
    console.error(describeStartFailure(error, step, { port: config?.port, host: config?.host, databaseUrl: config?.databaseUrl, embedded: config?.embeddedDatabase }));
    await running.stopEmbedded?.().catch(() => undefined);
    process.exit(1);
  }
}

void main();
