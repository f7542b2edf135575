// Starts and stops the built service for the harness (test/support/processes.cjs builds it when
// dist/main.js is missing, spawns it and waits for /health/ready).
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT, startService as startServiceProcess } from '../../test/support/processes.cjs';
import { onCleanup } from './cleanup.mjs';

export { REPO_ROOT };

/**
 * Spawns `node dist/main.js` on a free port with a fresh DATA_DIR.
 * Returns { baseUrl, port, dataDir, pid, logFile, stop }.
 */
export async function startService({ databaseUrl, adminEmail, adminPassword, jwtExpiresIn, logDir, log = console.error, extraEnv = {} }) {
  const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), 'ul-loadtest-data-'));
  // mkdtemp makes it 0700; when the service runs its own embedded PostgreSQL as
  // root, PostgreSQL runs as the `postgres` user and must be able to enter it.
  await fsp.chmod(dataDir, 0o755);
  const logFile = path.join(logDir ?? dataDir, 'service.log');
  const env = {
    ...process.env,
    DATA_DIR: dataDir,
    BOOTSTRAP_ADMIN_EMAIL: adminEmail,
    BOOTSTRAP_ADMIN_PASSWORD: adminPassword,
    JWT_EXPIRES_IN: jwtExpiresIn,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    ...extraEnv,
  };
  if (databaseUrl) env.DATABASE_URL = databaseUrl;
  else delete env.DATABASE_URL;
  let service;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await service?.stop('SIGTERM', 15000);
    await fsp.rm(dataDir, { recursive: true, force: true });
  };
  onCleanup('service', stop);
  service = await startServiceProcess({
    env,
    logFile,
    log,
    readyTimeoutMs: 180000,
    onSpawn: (s) => log(`service starting: pid ${s.pid}, ${s.baseUrl}, log ${logFile}`),
  });
  return { baseUrl: service.baseUrl, port: service.port, dataDir, pid: service.pid, logFile, stop };
}
