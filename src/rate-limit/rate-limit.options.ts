import { ExecutionContext } from '@nestjs/common';
import { ThrottlerModuleOptions, ThrottlerStorage } from '@nestjs/throttler';
import type { Request } from 'express';
import { AppConfig } from '../config/app-config';
import { AuthUser } from '../auth/auth-user';
import { LOGIN_LIMIT_KEY, NO_RATE_LIMIT_KEY } from './rate-limit.decorators';

type TrackedRequest = Request & { user?: AuthUser };

const requestOf = (context: ExecutionContext) => context.switchToHttp().getRequest<TrackedRequest>();
const marked = (context: ExecutionContext, key: string) =>
  Reflect.getMetadata(key, context.getHandler()) === true || Reflect.getMetadata(key, context.getClass()) === true;
const unlimited = (context: ExecutionContext) => marked(context, NO_RATE_LIMIT_KEY);

/** The key is the tracker alone, never the route: a limit is per user (or IP, or email), across all routes. */
export const rateLimitKey = (name: 'user' | 'anon' | 'login', tracker: string) => `unit-ledger:${name}:${tracker}`;
const keyOf = (_: ExecutionContext, tracker: string, name: string) => rateLimitKey(name as 'user' | 'anon' | 'login', tracker);

/**
 * SPEC §6: per authenticated user, per IP for anonymous requests, and per email for logins.
 * The guard runs after authentication, so the user is known when its limit is counted, and
 * reports every limit it counted in the response (RateLimit-Policy, RateLimit).
 */
export function rateLimitOptions(config: AppConfig, storage?: ThrottlerStorage): ThrottlerModuleOptions {
  const { userPerMinute, anonPerMinute, loginPer15Min } = config.rateLimit;
  return {
    storage,
    throttlers: [
      {
        name: 'user',
        ttl: 60_000,
        limit: userPerMinute,
        skipIf: (context) => unlimited(context) || !requestOf(context).user,
        getTracker: (req) => (req as TrackedRequest).user!.id,
        generateKey: keyOf,
      },
      {
        name: 'anon',
        ttl: 60_000,
        limit: anonPerMinute,
        skipIf: (context) => unlimited(context) || !!requestOf(context).user,
        getTracker: (req) => (req as TrackedRequest).ip ?? 'unknown',
        generateKey: keyOf,
      },
      {
        name: 'login',
        ttl: 15 * 60_000,
        limit: loginPer15Min,
        skipIf: (context) => !marked(context, LOGIN_LIMIT_KEY),
        getTracker: (req) => {
          const email = (req as TrackedRequest).body?.email;
          return typeof email === 'string' ? email.trim().toLowerCase() : '';
        },
        generateKey: keyOf,
      },
    ],
  };
}
