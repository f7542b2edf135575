import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../src/shared/free-port';
import { createTestDatabase, ROOT_EMAIL, ROOT_PASSWORD } from '../helpers/test-app';

const MAIN = resolve(__dirname, '../../dist/main.js');
export const SHARED_JWT_SECRET = 'system-test-secret-0123456789abcdefghij';

/** The built service (dist/main.js) as an operating-system process, as it runs in production. */
export interface ServiceProcess {
  base: string;
  child: ChildProcess;
  /** Every line it wrote to stdout so far. */
  lines: string[];
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startService(env: Record<string, string>): Promise<ServiceProcess> {
  if (!existsSync(MAIN)) throw new Error('dist/main.js is missing: run `npm run build` first (npm run test:system does)');
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      PORT: String(port),
      DATA_DIR: mkdtempSync(join(tmpdir(), 'unit-ledger-system-')),
      JWT_SECRET: SHARED_JWT_SECRET,
      BOOTSTRAP_ADMIN_EMAIL: ROOT_EMAIL,
      BOOTSTRAP_ADMIN_PASSWORD: ROOT_PASSWORD,
      LOG_LEVEL: 'info',
      EXPIRY_SWEEP_INTERVAL_MS: '3600000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString();
    const parts = text.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`${base}/health/ready`).then((r) => r.status === 200, () => false);
    if (ready) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`service did not become ready: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    child,
    lines,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A fresh database for a group of instances. */
export const systemDatabase = createTestDatabase;

/** The built service run until it exits by itself (a start that must fail): exit code and output. */
export async function runUntilExit(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  if (!existsSync(MAIN)) throw new Error('dist/main.js is missing: run `npm run build` first (npm run test:system does)');
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', LOG_LEVEL: 'warn', JWT_SECRET: SHARED_JWT_SECRET, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.once('exit', (c) => done(c)));
  return { code, stdout, stderr };
}
