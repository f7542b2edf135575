import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { LoginRateLimitGuard, RefreshRateLimitGuard } from './rate-limit.guard';

export const LOGIN_LIMIT_KEY = 'unit-ledger:login-limit';
/** Also counts the request against the login limits: per (email, client IP) and per email. */
export const LoginRateLimited = () => applyDecorators(SetMetadata(LOGIN_LIMIT_KEY, true), UseGuards(LoginRateLimitGuard));

export const NO_RATE_LIMIT_KEY = 'unit-ledger:no-rate-limit';
/** Probes and metrics: never limited. */
export const NoRateLimit = () => SetMetadata(NO_RATE_LIMIT_KEY, true);

export const REFRESH_LIMIT_KEY = 'unit-ledger:refresh-limit';
/** Also counts the request against the refresh-token limit (POST /auth/refresh, /auth/logout): per client IP. */
export const RefreshRateLimited = () => applyDecorators(SetMetadata(REFRESH_LIMIT_KEY, true), UseGuards(RefreshRateLimitGuard));
