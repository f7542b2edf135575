// Builds (only if dist/main.js is missing), starts and stops the service.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFreePort } from './ports.mjs';
import { onCleanup } from './cleanup.mjs';
import { stopChild } from './child.mjs';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function ensureBuilt(log) {
  const main = path.join(REPO_ROOT, 'dist', 'main.js');
  if (fs.existsSync(main)) return main;
  log('dist/main.js missing: running `npm run build`…');
  const res = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (res.status !== 0 || !fs.existsSync(main)) throw new Error('`npm run build` failed');
  return main;
}

async function waitReady(baseUrl, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`service exited with code ${child.exitCode} before becoming ready`);
    try {
      const res = await fetch(`${baseUrl}/health/ready`);
      if (res.status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`service not ready after ${timeoutMs / 1000}s`);
}

/**
 * Spawns `node dist/main.js` on a free port with a fresh DATA_DIR.
 * Returns { baseUrl, port, dataDir, pid, logFile, stop }.
 */
export async function startService({ databaseUrl, adminEmail, adminPassword, jwtExpiresIn, logDir, log = console.error, extraEnv = {} }) {
  const mainJs = ensureBuilt(log);
  const port = await findFreePort(3100);
  const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'ul-loadtest-data-'));
  // mkdtemp makes it 0700; when the service runs its own embedded PostgreSQL as
  // root, PostgreSQL runs as the `postgres` user and must be able to enter it.
  await fsp.chmod(dataDir, 0o755);
  const logFile = path.join(logDir ?? dataDir, 'service.log');
  await fsp.mkdir(path.dirname(logFile), { recursive: true });
  const out = fs.openSync(logFile, 'a');
  const env = {
    ...process.env,
    PORT: String(port),
    DATA_DIR: dataDir,
    BOOTSTRAP_ADMIN_EMAIL: adminEmail,
    BOOTSTRAP_ADMIN_PASSWORD: adminPassword,
    JWT_EXPIRES_IN: jwtExpiresIn,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    ...extraEnv,
  };
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  else delete env.DATABASE_URL;
  const child = spawn(process.execPath, [mainJs], { cwd: REPO_ROOT, env, stdio: ['ignore', out, out] });
  const baseUrl = `http://127.0.0.1:${port}`;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await stopChild(child, 15000);
    fs.closeSync(out);
    await fsp.rm(dataDir, { recursive: true, force: true });
  };
  onCleanup('service', stop);
  log(`service starting: pid ${child.pid}, ${baseUrl}, log ${logFile}`);
  await waitReady(baseUrl, child, 180000);
  return { baseUrl, port, dataDir, pid: child.pid, logFile, stop };
}
