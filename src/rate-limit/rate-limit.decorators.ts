import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { LoginRateLimitGuard } from './rate-limit.guard';

export const LOGIN_LIMIT_KEY = 'unit-ledger:login-limit';
/** Also counts the request against the login limits: per (email, client IP) and per email. */
export const LoginRateLimited = () => applyDecorators(SetMetadata(LOGIN_LIMIT_KEY, true), UseGuards(LoginRateLimitGuard));

export const NO_RATE_LIMIT_KEY = 'unit-ledger:no-rate-limit';
/** Probes and metrics: never limited. */
export const NoRateLimit = () => SetMetadata(NO_RATE_LIMIT_KEY, true);
