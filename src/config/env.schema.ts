import { z } from 'zod';
import type { LogLevel, NodeEnv } from './app-config';
import { parseDurationSeconds } from './duration';

/** Every problem of a configuration, each naming its variable; the message lists them all. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

// Each variable is read by a schema that never stops the parse: a bad value adds an issue naming
// the variable and stands in with its default, so that every field and every cross-field rule is
// checked and all problems are reported at once. Values are trimmed; empty is unset.

type Ctx = z.core.$RefinementCtx<unknown>;
const problem = (ctx: Ctx, message: string) => ctx.addIssue({ code: 'custom', message, input: undefined });
const present = (raw: string | undefined) => {
  const value = raw?.trim();
  return value === undefined || value === '' ? undefined : value;
};
const variable = <T>(read: (value: string | undefined, ctx: Ctx) => T) =>
  z
    .string()
    .optional()
    .transform((raw, ctx) => read(present(raw), ctx as Ctx));

/** An optional string, checked when set. */
const text = (check?: (value: string) => string | undefined) =>
  variable((value, ctx) => {
    const message = value === undefined ? undefined : check?.(value);
    if (message) problem(ctx, message);
    return value;
  });

/** An integer from min to max, or undefined (unset, or not such an integer: a problem then). */
const readInt = (name: string, raw: string | undefined, ctx: Ctx, min: number, max: number): number | undefined => {
  if (raw === undefined) return undefined;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (Number.isSafeInteger(value) && value >= min && value <= max) return value;
  problem(ctx, `${name} must be an integer from ${min} to ${max} (got "${raw}")`);
  return undefined;
};

const int = (name: string, fallback: number, min: number, max: number) => variable((raw, ctx) => readInt(name, raw, ctx, min, max) ?? fallback);

/** An integer whose default depends on other variables: undefined when unset. */
const optionalInt = (name: string, min: number, max: number) => variable((raw, ctx) => readInt(name, raw, ctx, min, max));

/** true or false in any case; undefined when unset (its default may depend on NODE_ENV). */
const bool = (name: string) =>
  variable((raw, ctx) => {
    if (raw === undefined) return undefined;
    if (/^(true|false)$/i.test(raw)) return raw.toLowerCase() === 'true';
    problem(ctx, `${name} must be true or false (got "${raw}")`);
    return undefined;
  });

const NODE_ENVS: readonly NodeEnv[] = ['development', 'production', 'test'];
const LOG_LEVELS: Record<string, LogLevel> = {
  fatal: 'fatal', error: 'error', warn: 'warn', log: 'log', info: 'log', debug: 'debug', verbose: 'verbose', trace: 'verbose',
};
/** A rule across variables: always checked, its problem listed right after `variable`'s own. */
const after = (variable: string) => ({ path: [variable], params: { rule: true }, when: () => true });

const PROXY_LIST = /^(loopback|linklocal|uniquelocal|[0-9a-f.:/]+)(\s*,\s*(loopback|linklocal|uniquelocal|[0-9a-f.:/]+))*$/i;

/** The environment of SPEC §8 (and the service's further settings), validated and typed. */
export const envSchema = z
  .object({
    NODE_ENV: variable((raw, ctx): NodeEnv => {
      const value = raw ?? 'development';
      if (NODE_ENVS.includes(value as NodeEnv)) return value as NodeEnv;
      problem(ctx, `NODE_ENV must be development, production or test (got "${value}")`);
      return 'development';
    }),
    DATABASE_URL: text((url) => (/^postgres(ql)?:\/\/.+/.test(url) ? undefined : 'DATABASE_URL must be a postgres:// or postgresql:// URL')),
    JWT_SECRET: text((secret) => (Buffer.byteLength(secret) < 32 ? 'JWT_SECRET must be at least 32 bytes long' : undefined)),
    JWT_EXPIRES_IN: variable((raw, ctx) => {
      const value = raw ?? '15m';
      const seconds = parseDurationSeconds(value);
      if (seconds === undefined) problem(ctx, `JWT_EXPIRES_IN must be a duration such as 900, 15m, 2h or 1d (got "${value}")`);
      return seconds ?? 900;
    }),
    // SPEC §11: a refresh token's lifetime (each rotation starts a new one).
    REFRESH_TOKEN_TTL: variable((raw, ctx) => {
      const value = raw ?? '30d';
      const seconds = parseDurationSeconds(value);
      if (seconds === undefined) problem(ctx, `REFRESH_TOKEN_TTL must be a duration such as 3600, 12h or 30d (got "${value}")`);
      return seconds ?? 30 * 86_400;
    }),
    BOOTSTRAP_ADMIN_EMAIL: text((email) => (/^[^\s@]+@[^\s@]+$/.test(email) ? undefined : 'BOOTSTRAP_ADMIN_EMAIL must be an email address')),
    // Taken as given, spaces included: it is a password.
    BOOTSTRAP_ADMIN_PASSWORD: z
      .string()
      .optional()
      .transform((raw, ctx) => {
        const value = raw === '' ? undefined : raw;
        if (value !== undefined && (value.length < 12 || value.length > 128)) problem(ctx, 'BOOTSTRAP_ADMIN_PASSWORD must be 12 to 128 characters');
        return value;
      }),
    RETRY_MAX_ATTEMPTS: int('RETRY_MAX_ATTEMPTS', 5, 1, 50),
    RETRY_BASE_DELAY_MS: int('RETRY_BASE_DELAY_MS', 10, 0, 60_000),
    RETRY_MAX_DELAY_MS: int('RETRY_MAX_DELAY_MS', 1000, 0, 600_000),
    REDIS_URL: text((url) => (/^rediss?:\/\/.+/.test(url) ? undefined : 'REDIS_URL must be a redis:// or rediss:// URL')),
    LOG_LEVEL: variable((raw, ctx): LogLevel => {
      const value = (raw ?? 'log').toLowerCase();
      const level = LOG_LEVELS[value];
      if (!level) problem(ctx, `LOG_LEVEL must be one of ${Object.keys(LOG_LEVELS).join(', ')} (got "${value}")`);
      return level ?? 'log';
    }),
    // Behind an ingress every client has the ingress's address unless its X-Forwarded-For is trusted.
    TRUST_PROXY: variable((raw, ctx): boolean | number | string => {
      if (raw === undefined) return false;
      if (/^\d{1,2}$/.test(raw)) return Number(raw) || false;
      if (PROXY_LIST.test(raw)) return raw;
      problem(ctx, `TRUST_PROXY must be a hop count or a comma-separated list of proxy addresses/subnets (got "${raw}")`);
      return false;
    }),
    HOST: text((host) => (/^[\w.:%-]+$/.test(host) ? undefined : `HOST must be an IP address or a host name to listen on (got "${host}")`)),
    // Production shows nothing to anyone who reaches the port unless told: /metrics needs
    // METRICS_TOKEN, or METRICS_PUBLIC=true to open it on purpose; the API docs need API_DOCS=true.
    METRICS_TOKEN: text(),
    METRICS_PUBLIC: bool('METRICS_PUBLIC'),
    API_DOCS: bool('API_DOCS'),
    RATE_LIMIT_LOGIN_PER_15_MIN: int('RATE_LIMIT_LOGIN_PER_15_MIN', 10, 1, 1_000_000),
    // The per-email ceiling backs up the per-(email, address) limit: 100 by default, never below it.
    RATE_LIMIT_LOGIN_PER_EMAIL_PER_15_MIN: optionalInt('RATE_LIMIT_LOGIN_PER_EMAIL_PER_15_MIN', 1, 10_000_000),
    PORT: int('PORT', 3000, 1, 65_535),
    DATABASE_POOL_SIZE: int('DATABASE_POOL_SIZE', 10, 2, 200),
    DATA_DIR: variable((raw) => raw ?? '.data'),
    // POST /auth/refresh and /auth/logout, per client IP (their tokens are in the body: no user is known before the lookup).
    RATE_LIMIT_REFRESH_PER_MINUTE: int('RATE_LIMIT_REFRESH_PER_MINUTE', 60, 1, 10_000_000),
    RATE_LIMIT_USER_PER_MINUTE: int('RATE_LIMIT_USER_PER_MINUTE', 6000, 1, 10_000_000),
    RATE_LIMIT_ANON_PER_MINUTE: int('RATE_LIMIT_ANON_PER_MINUTE', 600, 1, 10_000_000),
    EXPIRY_SWEEP_INTERVAL_MS: int('EXPIRY_SWEEP_INTERVAL_MS', 5000, 50, 86_400_000),
    // SPEC §11 webhooks: http to loopback receivers for tests and local use (never in production),
    // and the attempts of one delivery before it is given up.
    WEBHOOK_ALLOW_HTTP_LOOPBACK: bool('WEBHOOK_ALLOW_HTTP_LOOPBACK'),
    WEBHOOK_MAX_ATTEMPTS: int('WEBHOOK_MAX_ATTEMPTS', 15, 1, 100),
    // How often each instance fans new events out to deliveries and makes the due attempts.
    WEBHOOK_POLL_INTERVAL_MS: int('WEBHOOK_POLL_INTERVAL_MS', 1000, 50, 86_400_000),
    SHUTDOWN_GRACE_MS: int('SHUTDOWN_GRACE_MS', 10_000, 0, 600_000),
    HTTP_KEEP_ALIVE_TIMEOUT_MS: int('HTTP_KEEP_ALIVE_TIMEOUT_MS', 65_000, 1_000, 600_000),
    HTTP_HEADERS_TIMEOUT_MS: int('HTTP_HEADERS_TIMEOUT_MS', 10_000, 1_000, 600_000),
    HTTP_REQUEST_TIMEOUT_MS: int('HTTP_REQUEST_TIMEOUT_MS', 30_000, 1_000, 3_600_000),
    HTTP_MAX_CONNECTIONS: int('HTTP_MAX_CONNECTIONS', 1_000, 1, 1_000_000),
  })
  // Rules across variables, each reported after the variable it names (`after`). Checked even
  // when a variable above was refused (it then stands in with its default: `when`), so that one
  // start reports every problem.
  .refine((env) => !(env.JWT_SECRET === undefined && env.NODE_ENV === 'production'), { message: 'JWT_SECRET is required when NODE_ENV=production', ...after('JWT_SECRET') })
  .refine((env) => (env.BOOTSTRAP_ADMIN_EMAIL === undefined) === (env.BOOTSTRAP_ADMIN_PASSWORD === undefined), {
    message: 'BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD must be set together',
    ...after('JWT_EXPIRES_IN'),
  })
  .refine((env) => env.RETRY_MAX_DELAY_MS >= env.RETRY_BASE_DELAY_MS, { message: 'RETRY_MAX_DELAY_MS must not be below RETRY_BASE_DELAY_MS', ...after('RETRY_MAX_DELAY_MS') })
  .refine((env) => !(env.METRICS_PUBLIC === true && env.METRICS_TOKEN !== undefined), {
    message: 'METRICS_PUBLIC=true and METRICS_TOKEN contradict each other: set only one',
    ...after('METRICS_PUBLIC'),
  })
  .refine((env) => !(env.NODE_ENV === 'production' && env.METRICS_TOKEN === undefined && env.METRICS_PUBLIC !== true), {
    message: 'METRICS_TOKEN is required when NODE_ENV=production (or set METRICS_PUBLIC=true to let anyone read /metrics)',
    ...after('METRICS_PUBLIC'),
  })
  // A production instance must never deliver to its own host's loopback services (sidecars, admin ports).
  .refine((env) => !(env.NODE_ENV === 'production' && env.WEBHOOK_ALLOW_HTTP_LOOPBACK === true), {
    message: 'WEBHOOK_ALLOW_HTTP_LOOPBACK=true is for tests and local use; it is refused when NODE_ENV=production',
    ...after('WEBHOOK_ALLOW_HTTP_LOOPBACK'),
  })
  .refine((env) => (env.RATE_LIMIT_LOGIN_PER_EMAIL_PER_15_MIN ?? Infinity) >= env.RATE_LIMIT_LOGIN_PER_15_MIN, {
    message: 'RATE_LIMIT_LOGIN_PER_EMAIL_PER_15_MIN must not be below RATE_LIMIT_LOGIN_PER_15_MIN',
    ...after('RATE_LIMIT_LOGIN_PER_EMAIL_PER_15_MIN'),
  })
  // A request's headers are part of it: a headers timeout above the request timeout would never apply.
  .refine((env) => env.HTTP_HEADERS_TIMEOUT_MS <= env.HTTP_REQUEST_TIMEOUT_MS, { message: 'HTTP_HEADERS_TIMEOUT_MS must not be above HTTP_REQUEST_TIMEOUT_MS', ...after('HTTP_MAX_CONNECTIONS') });

/** The validated environment: every variable of the schema, with its default applied where it has one. */
export type Env = z.output<typeof envSchema>;

/** Every environment variable the service reads, from the schema (the deploy test checks the manifests and README against it). */
export const ENV_KEYS: readonly (keyof Env)[] = Object.keys(envSchema.shape) as (keyof Env)[];

/**
 * Validates an environment (process.env, or a test's record): the typed variables, or a
 * ConfigError listing every problem. The shape @nestjs/config's `ConfigModule.forRoot({ validate })` takes.
 */
export function validateEnv(env: Record<string, unknown>): Env {
  const strings = Object.fromEntries(ENV_KEYS.map((key) => [key, typeof env[key] === 'string' ? env[key] : undefined]));
  const result = envSchema.safeParse(strings);
  if (!result.success) {
    // In the order of the schema's variables, as a reader of the message goes through them.
    const rank = (issue: z.core.$ZodIssue) => 2 * ENV_KEYS.indexOf(issue.path[0] as keyof Env) + ((issue as { params?: { rule?: boolean } }).params?.rule ? 1 : 0);
    const issues = result.error.issues.map((issue, i) => ({ issue, i })).sort((a, b) => rank(a.issue) - rank(b.issue) || a.i - b.i);
    throw new ConfigError(issues.map(({ issue }) => issue.message));
  }
  return result.data;
}
