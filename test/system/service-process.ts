import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from '../helpers/lock-gates';
import { createTestDatabase, ROOT_EMAIL, ROOT_PASSWORD } from '../helpers/test-app';
import { MAIN, runUntilExit as runServiceUntilExit, startService as startServiceProcess } from '../support/processes.cjs';

export const SHARED_JWT_SECRET = 'system-test-secret-0123456789abcdefghij';

/** The built service (dist/main.js) as an operating-system process, as it runs in production. */
export interface ServiceProcess {
  base: string;
  child: ChildProcess;
  /** Every line it wrote to stdout so far. */
  lines: string[];
  exited: Promise<number | null>;
  /** Sends `signal` (SIGTERM) and resolves with the exit code (SIGKILL only if it is still running a minute later). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** The build as it is: npm run test:system builds first. */
function built(): string {
  if (!existsSync(MAIN)) throw new Error('dist/main.js is missing: run `npm run build` first (npm run test:system does)');
  return MAIN;
}

/** Starts the built service on a free port (test/support/processes.cjs) and waits until it is ready. */
export async function startService(env: Record<string, string>): Promise<ServiceProcess> {
  const service = await startServiceProcess({
    main: built(),
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'unit-ledger-system-')),
      JWT_SECRET: SHARED_JWT_SECRET,
      BOOTSTRAP_ADMIN_EMAIL: ROOT_EMAIL,
      BOOTSTRAP_ADMIN_PASSWORD: ROOT_PASSWORD,
      LOG_LEVEL: 'info',
      EXPIRY_SWEEP_INTERVAL_MS: '3600000',
      ...env,
    },
    readyTimeoutMs: 30_000,
  });
  return {
    base: service.baseUrl,
    child: service.child,
    lines: service.lines,
    exited: service.exited,
    stop: (signal: NodeJS.Signals = 'SIGTERM') => service.stop(signal, 60_000),
  };
}

/**
 * The first stdout line that satisfies `match`, written already or still to come: what the service
 * logs reaches this process through a pipe, independently of its HTTP answers.
 */
export async function lineMatching(service: ServiceProcess, match: (line: string) => boolean, timeoutMs = 10_000): Promise<string> {
  await waitUntil('a matching stdout line', () => service.lines.some(match), timeoutMs);
  return service.lines.find(match)!;
}

/** A fresh database for a group of instances. */
export const systemDatabase = createTestDatabase;

/** The built service run until it exits by itself (a start that must fail): exit code and output. */
export function runUntilExit(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return runServiceUntilExit({ main: built(), env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'warn', JWT_SECRET: SHARED_JWT_SECRET, ...env } });
}
