import { AppConfig } from './app-config';
import { ConfigError, Env, validateEnv } from './env.schema';

export { ConfigError };

/** The service's typed settings, from a validated environment. */
export function toAppConfig(env: Env): AppConfig {
  const nodeEnv = env.NODE_ENV;
  return {
    port: env.PORT,
    host: env.HOST,
    nodeEnv,
    databaseUrl: env.DATABASE_URL,
    embeddedDatabase: false,
    databasePoolSize: env.DATABASE_POOL_SIZE,
    dataDir: env.DATA_DIR,
    jwtSecret: env.JWT_SECRET,
    jwtExpiresInSeconds: env.JWT_EXPIRES_IN,
    refreshTokenTtlSeconds: env.REFRESH_TOKEN_TTL,
    bootstrapAdmin:
      env.BOOTSTRAP_ADMIN_EMAIL && env.BOOTSTRAP_ADMIN_PASSWORD ? { email: env.BOOTSTRAP_ADMIN_EMAIL.toLowerCase(), password: env.BOOTSTRAP_ADMIN_PASSWORD } : undefined,
    retry: { maxAttempts: env.RETRY_MAX_ATTEMPTS, baseDelayMs: env.RETRY_BASE_DELAY_MS, maxDelayMs: env.RETRY_MAX_DELAY_MS },
    rateLimit: {
      userPerMinute: env.RATE_LIMIT_USER_PER_MINUTE,
      anonPerMinute: env.RATE_LIMIT_ANON_PER_MINUTE,
      loginPer15Min: env.RATE_LIMIT_LOGIN_PER_15_MIN,
      loginPerEmailPer15Min: env.RATE_LIMIT_LOGIN_PER_EMAIL_PER_15_MIN ?? Math.max(100, env.RATE_LIMIT_LOGIN_PER_15_MIN),
      refreshPerMinute: env.RATE_LIMIT_REFRESH_PER_MINUTE,
    },
    expirySweepIntervalMs: env.EXPIRY_SWEEP_INTERVAL_MS,
    webhooks: { allowHttpLoopback: env.WEBHOOK_ALLOW_HTTP_LOOPBACK ?? false, maxAttempts: env.WEBHOOK_MAX_ATTEMPTS, pollIntervalMs: env.WEBHOOK_POLL_INTERVAL_MS },
    redisUrl: env.REDIS_URL,
    metricsToken: env.METRICS_TOKEN,
    metricsPublic: env.METRICS_PUBLIC ?? false,
    apiDocs: env.API_DOCS ?? nodeEnv !== 'production',
    logLevel: env.LOG_LEVEL,
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    httpKeepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    httpHeadersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
    httpRequestTimeoutMs: env.HTTP_REQUEST_TIMEOUT_MS,
    httpMaxConnections: env.HTTP_MAX_CONNECTIONS,
    trustProxy: env.TRUST_PROXY,
  };
}

/**
 * Reads and validates every setting of SPEC §8 once (the zod schema in env.schema.ts). All
 * problems are reported together, each naming its variable, so a bad deployment fails at start
 * with one clear message.
 */
export function loadConfig(env: Record<string, string | undefined>): AppConfig {
  return toAppConfig(validateEnv(env));
}
