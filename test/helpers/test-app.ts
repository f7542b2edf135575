import { INestApplication } from '@nestjs/common';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DestinationStream } from 'pino';
import { createApp } from '../../src/app.factory';
import { AppConfig } from '../../src/config/app-config';
import { loadConfig } from '../../src/config/load-config';
import { httpClient, Request } from './http';
import { checkIntegrity, INTACT } from './ledger-check';

export const ROOT_EMAIL = 'root@test.local';
export const ROOT_PASSWORD = 'root-password-123';

export interface TestApp {
  app: INestApplication;
  base: string;
  config: AppConfig;
  request: Request;
  /** A SQL client on the app's database, for checks and for provoking conflicts. */
  sql: Client;
  databaseUrl: string;
  /**
   * Checks the database's integrity (checkIntegrity: counters, ledger, reservations, running
   * values; throws naming what disagrees), then stops the app. Every e2e file's afterAll calls it,
   * so every run ends reconciled. `{ integrity: false }` only for a file that corrupts rows on
   * purpose, or whose database is gone.
   */
  close(options?: { integrity?: boolean }): Promise<void>;
}

/** A fresh database on the test server (embedded, or TEST_DATABASE_URL). */
export async function createTestDatabase(): Promise<string> {
  const adminUrl = process.env.TEST_ADMIN_DATABASE_URL;
  if (!adminUrl) throw new Error('TEST_ADMIN_DATABASE_URL is not set: run the e2e tests through jest (globalSetup)');
  const name = `unit_ledger_test_${randomBytes(6).toString('hex')}`;
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Config as the service would read it from the environment, plus test defaults. */
export function testConfig(databaseUrl: string, env: Record<string, string> = {}): AppConfig {
  const config = loadConfig({
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'fatal',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'unit-ledger-data-')),
    BOOTSTRAP_ADMIN_EMAIL: ROOT_EMAIL,
    BOOTSTRAP_ADMIN_PASSWORD: ROOT_PASSWORD,
    EXPIRY_SWEEP_INTERVAL_MS: '3600000',
    ...env,
  });
  return { ...config, databaseUrl };
}

/**
 * Starts the real application (same factory as main.ts) on a fresh database and a free port.
 * Log lines go to `logDestination` when given (with LOG_LEVEL in `env`), else to stdout.
 */
export async function startTestApp(env: Record<string, string> = {}, databaseUrl?: string, logDestination?: DestinationStream): Promise<TestApp> {
  const url = databaseUrl ?? (await createTestDatabase());
  const config = testConfig(url, env);
  const app = await createApp(config, logDestination);
  await app.listen(0, '127.0.0.1');
  const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const sql = new Client({ connectionString: url });
  sql.on('error', () => undefined);
  await sql.connect();
  return {
    app,
    base,
    config,
    request: httpClient(base),
    sql,
    databaseUrl: url,
    async close({ integrity = true } = {}) {
      try {
        if (integrity) {
          // A connection of its own: some tests kill every connection to the database on purpose.
          const check = new Client({ connectionString: url });
          await check.connect();
          const report = await checkIntegrity(check).finally(() => check.end());
          if (JSON.stringify(report) !== JSON.stringify(INTACT)) throw new Error(`integrity check failed at close: ${JSON.stringify(report)}`);
        }
      } finally {
        await sql.end().catch(() => undefined);
        await app.close();
      }
    },
  };
}
