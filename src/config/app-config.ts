export type NodeEnv = 'development' | 'production' | 'test';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'log' | 'debug' | 'verbose';

export interface RetryConfig {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface AppConfig {
  port: number;
  /** Address to listen on; unset: all interfaces (Node's default). */
  host?: string;
  nodeEnv: NodeEnv;
  /** Unset: the service starts an embedded PostgreSQL under dataDir. */
  databaseUrl?: string;
  /** Set at start when the service runs its own embedded PostgreSQL. */
  embeddedDatabase: boolean;
  databasePoolSize: number;
  dataDir: string;
  /** Unset outside production: generated once and kept under dataDir. */
  jwtSecret?: string;
  jwtExpiresInSeconds: number;
  /** REFRESH_TOKEN_TTL: how long a refresh token lives (a rotation issues a new one with a new lifetime). */
  refreshTokenTtlSeconds: number;
  bootstrapAdmin?: { email: string; password: string };
  retry: RetryConfig;
  /** loginPer15Min: per (email, client IP); loginPerEmailPer15Min: per email, from all addresses together. */
  rateLimit: { userPerMinute: number; anonPerMinute: number; loginPer15Min: number; loginPerEmailPer15Min: number; refreshPerMinute: number };
  expirySweepIntervalMs: number;
  /**
   * SPEC §11: allowHttpLoopback (WEBHOOK_ALLOW_HTTP_LOOPBACK) lifts https-only for loopback receivers only; maxAttempts per delivery;
   * pollIntervalMs (WEBHOOK_POLL_INTERVAL_MS): how often each instance fans new events out and makes the due delivery attempts.
   */
  webhooks: { allowHttpLoopback: boolean; maxAttempts: number; pollIntervalMs: number };
  redisUrl?: string;
  metricsToken?: string;
  /** /metrics without METRICS_TOKEN in production, on purpose (METRICS_PUBLIC=true). */
  metricsPublic: boolean;
  /** Serve /api/docs and /api/docs-json: API_DOCS, by default outside production only. */
  apiDocs: boolean;
  logLevel: LogLevel;
  shutdownGraceMs: number;
  /** How long an idle keep-alive socket is kept open; above the idle timeout of any proxy in front. */
  httpKeepAliveTimeoutMs: number;
  /** A request's headers must be complete this long after its first byte (408 otherwise). */
  httpHeadersTimeoutMs: number;
  /** A whole request, body included, must be received this long after its first byte (408 otherwise). */
  httpRequestTimeoutMs: number;
  /** Connections open at once per instance; more are closed as soon as they are accepted. */
  httpMaxConnections: number;
  /** Express 'trust proxy': false, a hop count, or addresses/subnets of the proxies in front. */
  trustProxy: boolean | number | string;
}

export const APP_CONFIG = Symbol('APP_CONFIG');
