import { SetMetadata } from '@nestjs/common';

export const LOGIN_LIMIT_KEY = 'unit-ledger:login-limit';
/** Also counts the request against the login limits: per (email, client IP) and per email. */
export const LoginRateLimited = () => SetMetadata(LOGIN_LIMIT_KEY, true);

export const NO_RATE_LIMIT_KEY = 'unit-ledger:no-rate-limit';
/** Probes and metrics: never limited. */
export const NoRateLimit = () => SetMetadata(NO_RATE_LIMIT_KEY, true);
