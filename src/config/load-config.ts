import { AppConfig, LogLevel, NodeEnv } from './app-config';
import { parseDurationSeconds } from './duration';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

type Env = Record<string, string | undefined>;

const LOG_LEVELS: Record<string, LogLevel> = {
  fatal: 'fatal', error: 'error', warn: 'warn', log: 'log', info: 'log', debug: 'debug', verbose: 'verbose', trace: 'verbose',
};

/**
 * Reads and validates every setting of SPEC §8 once. All problems are reported together,
 * each naming its variable, so a bad deployment fails at start with one clear message.
 */
export function loadConfig(env: Env): AppConfig {
  const problems: string[] = [];
  const str = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  const int = (name: string, fallback: number, min: number, max: number) => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
      return fallback;
    }
    return value;
  };
  const bool = (name: string, fallback: boolean) => {
    const raw = str(name);
    if (raw === undefined) return fallback;
    if (/^(true|false)$/i.test(raw)) return raw.toLowerCase() === 'true';
    problems.push(`${name} must be true or false (got "${raw}")`);
    return fallback;
  };

  const nodeEnvRaw = str('NODE_ENV') ?? 'development';
  if (!['development', 'production', 'test'].includes(nodeEnvRaw)) {
    problems.push(`NODE_ENV must be development, production or test (got "${nodeEnvRaw}")`);
  }
  const nodeEnv = nodeEnvRaw as NodeEnv;

  const databaseUrl = str('DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\/.+/.test(databaseUrl)) {
    problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL');
  }

  const jwtSecret = str('JWT_SECRET');
  if (jwtSecret !== undefined && Buffer.byteLength(jwtSecret) < 32) {
    problems.push('JWT_SECRET must be at least 32 bytes long');
  }
  if (jwtSecret === undefined && nodeEnv === 'production') {
    problems.push('JWT_SECRET is required when NODE_ENV=production');
  }

  const expiresRaw = str('JWT_EXPIRES_IN') ?? '15m';
  const jwtExpiresInSeconds = parseDurationSeconds(expiresRaw);
  if (jwtExpiresInSeconds === undefined) {
    problems.push(`JWT_EXPIRES_IN must be a duration such as 900, 15m, 2h or 1d (got "${expiresRaw}")`);
  }

  const adminEmail = str('BOOTSTRAP_ADMIN_EMAIL');
  const adminPassword = env.BOOTSTRAP_ADMIN_PASSWORD;
  if ((adminEmail === undefined) !== (adminPassword === undefined || adminPassword === '')) {
    problems.push('BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD must be set together');
  }
  if (adminEmail !== undefined && !/^[^\s@]+@[^\s@]+$/.test(adminEmail)) {
    problems.push('BOOTSTRAP_ADMIN_EMAIL must be an email address');
  }
  if (adminPassword && (adminPassword.length < 12 || adminPassword.length > 128)) {
    problems.push('BOOTSTRAP_ADMIN_PASSWORD must be 12 to 128 characters');
  }

  const retry = {
    maxAttempts: int('RETRY_MAX_ATTEMPTS', 5, 1, 50),
    baseDelayMs: int('RETRY_BASE_DELAY_MS', 10, 0, 60_000),
    maxDelayMs: int('RETRY_MAX_DELAY_MS', 1000, 0, 600_000),
  };
  if (retry.maxDelayMs < retry.baseDelayMs) {
    problems.push('RETRY_MAX_DELAY_MS must not be below RETRY_BASE_DELAY_MS');
  }

  const redisUrl = str('REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\/.+/.test(redisUrl)) {
    problems.push('REDIS_URL must be a redis:// or rediss:// URL');
  }

  const logLevelRaw = (str('LOG_LEVEL') ?? 'log').toLowerCase();
  const logLevel = LOG_LEVELS[logLevelRaw];
  if (!logLevel) problems.push(`LOG_LEVEL must be one of ${Object.keys(LOG_LEVELS).join(', ')} (got "${logLevelRaw}")`);

  // Behind an ingress every client has the ingress's address unless its X-Forwarded-For is trusted.
  const trustProxyRaw = str('TRUST_PROXY');
  let trustProxy: boolean | number | string = false;
  if (trustProxyRaw !== undefined) {
    if (/^\d{1,2}$/.test(trustProxyRaw)) trustProxy = Number(trustProxyRaw) || false;
    else if (/^(loopback|linklocal|uniquelocal|[0-9a-f.:/]+)(\s*,\s*(loopback|linklocal|uniquelocal|[0-9a-f.:/]+))*$/i.test(trustProxyRaw)) trustProxy = trustProxyRaw;
    else problems.push(`TRUST_PROXY must be a hop count or a comma-separated list of proxy addresses/subnets (got "${trustProxyRaw}")`);
  }

  const host = str('HOST');
  if (host !== undefined && !/^[\w.:%-]+$/.test(host)) {
    problems.push(`HOST must be an IP address or a host name to listen on (got "${host}")`);
  }

  // Production shows nothing to anyone who reaches the port unless told: /metrics needs
  // METRICS_TOKEN, or METRICS_PUBLIC=true to open it on purpose; the API docs need API_DOCS=true.
  const metricsToken = str('METRICS_TOKEN');
  const metricsPublic = bool('METRICS_PUBLIC', false);
  if (metricsPublic && metricsToken !== undefined) {
    problems.push('METRICS_PUBLIC=true and METRICS_TOKEN contradict each other: set only one');
  }
  if (nodeEnv === 'production' && metricsToken === undefined && !metricsPublic) {
    problems.push('METRICS_TOKEN is required when NODE_ENV=production (or set METRICS_PUBLIC=true to let anyone read /metrics)');
  }
  const apiDocs = bool('API_DOCS', nodeEnv !== 'production');

  const loginPer15Min = int('RATE_LIMIT_LOGIN_PER_15_MIN', 10, 1, 1_000_000);
  // The per-email ceiling backs up the per-(email, address) limit: 100 by default, never below it.
  const loginPerEmailPer15Min = int('RATE_LIMIT_LOGIN_PER_EMAIL_PER_15_MIN', Math.max(100, loginPer15Min), 1, 10_000_000);
  if (loginPerEmailPer15Min < loginPer15Min) {
    problems.push('RATE_LIMIT_LOGIN_PER_EMAIL_PER_15_MIN must not be below RATE_LIMIT_LOGIN_PER_15_MIN');
  }

  const config: AppConfig = {
    port: int('PORT', 3000, 1, 65_535),
    host,
    nodeEnv,
    databaseUrl,
    embeddedDatabase: false,
    databasePoolSize: int('DATABASE_POOL_SIZE', 10, 2, 200),
    dataDir: str('DATA_DIR') ?? '.data',
    jwtSecret,
    jwtExpiresInSeconds: jwtExpiresInSeconds ?? 900,
    bootstrapAdmin: adminEmail && adminPassword ? { email: adminEmail.toLowerCase(), password: adminPassword } : undefined,
    retry,
    rateLimit: {
      userPerMinute: int('RATE_LIMIT_USER_PER_MINUTE', 6000, 1, 10_000_000),
      anonPerMinute: int('RATE_LIMIT_ANON_PER_MINUTE', 600, 1, 10_000_000),
      loginPer15Min,
      loginPerEmailPer15Min,
    },
    expirySweepIntervalMs: int('EXPIRY_SWEEP_INTERVAL_MS', 5000, 50, 86_400_000),
    redisUrl,
    metricsToken,
    metricsPublic,
    apiDocs,
    logLevel: logLevel ?? 'log',
    shutdownGraceMs: int('SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    httpKeepAliveTimeoutMs: int('HTTP_KEEP_ALIVE_TIMEOUT_MS', 65_000, 1_000, 600_000),
    httpHeadersTimeoutMs: int('HTTP_HEADERS_TIMEOUT_MS', 10_000, 1_000, 600_000),
    httpRequestTimeoutMs: int('HTTP_REQUEST_TIMEOUT_MS', 30_000, 1_000, 3_600_000),
    httpMaxConnections: int('HTTP_MAX_CONNECTIONS', 1_000, 1, 1_000_000),
    trustProxy,
  };
  // A request's headers are part of it: a headers timeout above the request timeout would never apply.
  if (config.httpHeadersTimeoutMs > config.httpRequestTimeoutMs) {
    problems.push('HTTP_HEADERS_TIMEOUT_MS must not be above HTTP_REQUEST_TIMEOUT_MS');
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}
