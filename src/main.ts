import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory';
import { ConfigError, loadConfig } from './config/load-config';
import { startEmbeddedPostgres } from './database/embedded-postgres';

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = new Logger('Main');
  let stopEmbedded: (() => Promise<void>) | undefined;
  if (!config.databaseUrl) {
    const embedded = await startEmbeddedPostgres(config.dataDir, (line) => logger.warn(line));
    config.databaseUrl = embedded.url;
    config.embeddedDatabase = true;
    stopEmbedded = embedded.stop;
    logger.log(`Embedded PostgreSQL running, data in ${config.dataDir}/pg`);
  }
  const app = await createApp(config);
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  if (stopEmbedded) {
    const stop = stopEmbedded;
    process.once('beforeExit', () => void stop());
    app.getHttpServer().once('close', () => void stop().catch(() => undefined));
  }
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
