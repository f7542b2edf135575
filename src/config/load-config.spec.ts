import { NestFactory } from '@nestjs/core';
import { ConfigService } from '@nestjs/config';
import { APP_CONFIG, AppConfig } from './app-config';
import { AppConfigModule } from './config.module';
import { ENV_KEYS, validateEnv } from './env.schema';
import { ConfigError, loadConfig } from './load-config';

const problemsOf = (env: Record<string, string>) => {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    return (error as ConfigError).problems;
  }
};

describe('loadConfig', () => {
  it('has the SPEC §8 defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      port: 3000,
      nodeEnv: 'development',
      jwtExpiresInSeconds: 900,
      refreshTokenTtlSeconds: 30 * 86_400,
      retry: { maxAttempts: 5, baseDelayMs: 10, maxDelayMs: 1000 },
      rateLimit: { userPerMinute: 6000, anonPerMinute: 600, loginPer15Min: 10, loginPerEmailPer15Min: 100, refreshPerMinute: 60 },
      httpKeepAliveTimeoutMs: 65_000,
      httpHeadersTimeoutMs: 10_000,
      httpRequestTimeoutMs: 30_000,
      httpMaxConnections: 1_000,
      webhooks: { allowHttpLoopback: false, maxAttempts: 15, pollIntervalMs: 1000 },
    });
    expect(config.databaseUrl).toBeUndefined();
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ RETRY_MAX_ATTEMPTS: '0' }, 'RETRY_MAX_ATTEMPTS'],
    [{ RETRY_BASE_DELAY_MS: '-1' }, 'RETRY_BASE_DELAY_MS'],
    [{ RETRY_BASE_DELAY_MS: '100', RETRY_MAX_DELAY_MS: '50' }, 'RETRY_MAX_DELAY_MS'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [{ NODE_ENV: 'production' }, 'JWT_SECRET'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
    [{ JWT_EXPIRES_IN: '15 minutes' }, 'JWT_EXPIRES_IN'],
    [{ REFRESH_TOKEN_TTL: '30 days' }, 'REFRESH_TOKEN_TTL'],
    [{ REFRESH_TOKEN_TTL: '0' }, 'REFRESH_TOKEN_TTL'],
    [{ RATE_LIMIT_REFRESH_PER_MINUTE: '0' }, 'RATE_LIMIT_REFRESH_PER_MINUTE'],
    [{ BOOTSTRAP_ADMIN_EMAIL: 'a@b.c' }, 'BOOTSTRAP_ADMIN_PASSWORD'],
    [{ BOOTSTRAP_ADMIN_EMAIL: 'a@b.c', BOOTSTRAP_ADMIN_PASSWORD: 'short' }, 'BOOTSTRAP_ADMIN_PASSWORD'],
    [{ RATE_LIMIT_USER_PER_MINUTE: '1.5' }, 'RATE_LIMIT_USER_PER_MINUTE'],
    [{ REDIS_URL: 'localhost:6379' }, 'REDIS_URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ SHUTDOWN_GRACE_MS: 'soon' }, 'SHUTDOWN_GRACE_MS'],
    [{ HTTP_KEEP_ALIVE_TIMEOUT_MS: '500' }, 'HTTP_KEEP_ALIVE_TIMEOUT_MS'],
    [{ HTTP_HEADERS_TIMEOUT_MS: '999' }, 'HTTP_HEADERS_TIMEOUT_MS'],
    [{ HTTP_HEADERS_TIMEOUT_MS: '10s' }, 'HTTP_HEADERS_TIMEOUT_MS'],
    [{ HTTP_REQUEST_TIMEOUT_MS: '0' }, 'HTTP_REQUEST_TIMEOUT_MS'],
    [{ HTTP_REQUEST_TIMEOUT_MS: '3600001' }, 'HTTP_REQUEST_TIMEOUT_MS'],
    [{ HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '15000' }, 'HTTP_HEADERS_TIMEOUT_MS must not be above HTTP_REQUEST_TIMEOUT_MS'],
    [{ HTTP_MAX_CONNECTIONS: '0' }, 'HTTP_MAX_CONNECTIONS'],
    [{ HTTP_MAX_CONNECTIONS: 'many' }, 'HTTP_MAX_CONNECTIONS'],
    [{ TRUST_PROXY: 'yes please' }, 'TRUST_PROXY'],
    [{ WEBHOOK_ALLOW_HTTP_LOOPBACK: 'yes' }, 'WEBHOOK_ALLOW_HTTP_LOOPBACK'],
    [{ WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true', NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), METRICS_PUBLIC: 'true' }, 'WEBHOOK_ALLOW_HTTP_LOOPBACK=true is for tests and local use'],
    [{ WEBHOOK_MAX_ATTEMPTS: '0' }, 'WEBHOOK_MAX_ATTEMPTS'],
    [{ WEBHOOK_MAX_ATTEMPTS: '101' }, 'WEBHOOK_MAX_ATTEMPTS'],
    [{ WEBHOOK_POLL_INTERVAL_MS: '49' }, 'WEBHOOK_POLL_INTERVAL_MS'],
    [{ WEBHOOK_POLL_INTERVAL_MS: '1s' }, 'WEBHOOK_POLL_INTERVAL_MS'],
    [{ RATE_LIMIT_LOGIN_PER_EMAIL_PER_15_MIN: '0' }, 'RATE_LIMIT_LOGIN_PER_EMAIL_PER_15_MIN'],
    [{ RATE_LIMIT_LOGIN_PER_15_MIN: '20', RATE_LIMIT_LOGIN_PER_EMAIL_PER_15_MIN: '19' }, 'RATE_LIMIT_LOGIN_PER_EMAIL_PER_15_MIN must not be below RATE_LIMIT_LOGIN_PER_15_MIN'],
  ])('%o is refused with a message naming %s', (env, name) => {
    const problems = problemsOf(env);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toContain(name);
  });

  it('reports every problem at once', () => {
    expect(problemsOf({ PORT: 'x', RETRY_MAX_ATTEMPTS: 'y' })).toHaveLength(2);
  });

  it('checks the rules across variables also when a variable was refused, each problem listed in the order of the variables', () => {
    expect(problemsOf({ NODE_ENV: 'production', PORT: 'x', RETRY_BASE_DELAY_MS: '100', RETRY_MAX_DELAY_MS: '50', HTTP_HEADERS_TIMEOUT_MS: '20000', HTTP_REQUEST_TIMEOUT_MS: '15000' })).toEqual([
      'JWT_SECRET is required when NODE_ENV=production',
      'RETRY_MAX_DELAY_MS must not be below RETRY_BASE_DELAY_MS',
      'METRICS_TOKEN is required when NODE_ENV=production (or set METRICS_PUBLIC=true to let anyone read /metrics)',
      'PORT must be an integer from 1 to 65535 (got "x")',
      'HTTP_HEADERS_TIMEOUT_MS must not be above HTTP_REQUEST_TIMEOUT_MS',
    ]);
  });

  it('reads exactly the variables of its schema, trimmed, and ignores the rest of the environment', () => {
    expect(ENV_KEYS).toEqual(expect.arrayContaining(['PORT', 'DATABASE_URL', 'JWT_SECRET', 'METRICS_PUBLIC', 'TRUST_PROXY', 'DATA_DIR']));
    expect(new Set(ENV_KEYS).size).toBe(ENV_KEYS.length);
    expect(loadConfig({ PORT: ' 8080 ', HOME: '/root', UNRELATED: 'x' }).port).toBe(8080);
    expect(validateEnv({ PORT: '', SOMETHING_ELSE: '1' })).not.toHaveProperty('SOMETHING_ELSE');
  });

  it('@nestjs/config holds the settings: ConfigService.get(\'app\') and APP_CONFIG are the AppConfig given', async () => {
    const config = loadConfig({ PORT: '4321' });
    const context = await NestFactory.createApplicationContext(AppConfigModule.register(config), { logger: false });
    try {
      expect(context.get(APP_CONFIG)).toBe(config);
      expect(context.get(ConfigService).get<AppConfig>('app')?.port).toBe(4321);
    } finally {
      await context.close();
    }
  });

  it('takes the HTTP timeouts and connection cap as given', () => {
    const config = loadConfig({ HTTP_HEADERS_TIMEOUT_MS: '2000', HTTP_REQUEST_TIMEOUT_MS: '2000', HTTP_MAX_CONNECTIONS: '3' });
    expect([config.httpHeadersTimeoutMs, config.httpRequestTimeoutMs, config.httpMaxConnections]).toEqual([2000, 2000, 3]);
  });

  it('login limits: the per-email ceiling is 100 unless set, and never below the per-(email, address) limit', () => {
    expect(loadConfig({ RATE_LIMIT_LOGIN_PER_EMAIL_PER_15_MIN: '40' }).rateLimit).toMatchObject({ loginPer15Min: 10, loginPerEmailPer15Min: 40 });
    expect(loadConfig({ RATE_LIMIT_LOGIN_PER_15_MIN: '500' }).rateLimit).toMatchObject({ loginPer15Min: 500, loginPerEmailPer15Min: 500 });
  });

  it('webhooks: http to loopback only when told (outside production), attempts as given', () => {
    expect(loadConfig({ WEBHOOK_ALLOW_HTTP_LOOPBACK: 'TRUE', WEBHOOK_MAX_ATTEMPTS: '3' }).webhooks).toEqual({ allowHttpLoopback: true, maxAttempts: 3, pollIntervalMs: 1000 });
    expect(loadConfig({ NODE_ENV: 'test', WEBHOOK_ALLOW_HTTP_LOOPBACK: 'false' }).webhooks).toEqual({ allowHttpLoopback: false, maxAttempts: 15, pollIntervalMs: 1000 });
    expect(loadConfig({ WEBHOOK_POLL_INTERVAL_MS: '250' }).webhooks.pollIntervalMs).toBe(250);
  });

  it('trusts no proxy unless told: a hop count or the proxies\' addresses', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, loopback' }).trustProxy).toBe('10.0.0.0/8, loopback');
  });

  it('accepts a production configuration', () => {
    const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32), DATABASE_URL: 'postgres://u@h/db', JWT_EXPIRES_IN: '2h', METRICS_TOKEN: 'm' });
    expect(config.jwtExpiresInSeconds).toBe(7200);
  });

  describe('production defaults: /metrics and the API docs', () => {
    const production = { NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) };

    it('refuses to start without METRICS_TOKEN or METRICS_PUBLIC=true, naming METRICS_TOKEN', () => {
      expect(problemsOf(production)).toEqual(['METRICS_TOKEN is required when NODE_ENV=production (or set METRICS_PUBLIC=true to let anyone read /metrics)']);
      expect(problemsOf({ ...production, METRICS_PUBLIC: 'false' })).toEqual(['METRICS_TOKEN is required when NODE_ENV=production (or set METRICS_PUBLIC=true to let anyone read /metrics)']);
      expect(problemsOf({ ...production, METRICS_TOKEN: 'm' })).toEqual([]);
      expect(loadConfig({ ...production, METRICS_PUBLIC: 'true' })).toMatchObject({ metricsToken: undefined, metricsPublic: true });
    });

    it('refuses METRICS_PUBLIC=true with METRICS_TOKEN, and anything but true or false', () => {
      expect(problemsOf({ METRICS_PUBLIC: 'true', METRICS_TOKEN: 'm' })).toEqual(['METRICS_PUBLIC=true and METRICS_TOKEN contradict each other: set only one']);
      expect(problemsOf({ METRICS_PUBLIC: 'yes' })).toEqual(['METRICS_PUBLIC must be true or false (got "yes")']);
      expect(problemsOf({ API_DOCS: '1' })).toEqual(['API_DOCS must be true or false (got "1")']);
    });

    it('serves the API docs in production only with API_DOCS=true; elsewhere unless API_DOCS=false', () => {
      const docs = (env: Record<string, string>) => loadConfig({ METRICS_TOKEN: 'm', ...env }).apiDocs;
      expect([docs(production), docs({ ...production, API_DOCS: 'false' }), docs({ ...production, API_DOCS: 'TRUE' })]).toEqual([false, false, true]);
      expect([docs({}), docs({ NODE_ENV: 'test' }), docs({ API_DOCS: 'false' })]).toEqual([true, true, false]);
    });

    it('outside production /metrics may stay open without saying so', () => {
      expect(loadConfig({})).toMatchObject({ metricsToken: undefined, metricsPublic: false, apiDocs: true });
    });
  });

  it('listens on all interfaces unless HOST names one', () => {
    expect(loadConfig({}).host).toBeUndefined();
    expect(loadConfig({ HOST: '127.0.0.1' }).host).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '::1' }).host).toBe('::1');
    expect(problemsOf({ HOST: 'a b' })).toEqual(['HOST must be an IP address or a host name to listen on (got "a b")']);
  });
});
