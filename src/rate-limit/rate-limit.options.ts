import { ExecutionContext } from '@nestjs/common';
import { ThrottlerModuleOptions, ThrottlerStorage } from '@nestjs/throttler';
import type { Request } from 'express';
import { AppConfig } from '../config/app-config';
import { AuthUser } from '../shared/auth/auth-user';
import { LOGIN_LIMIT_KEY, NO_RATE_LIMIT_KEY, REFRESH_LIMIT_KEY } from './rate-limit.decorators';

type TrackedRequest = Request & { user?: AuthUser };

const requestOf = (context: ExecutionContext) => context.switchToHttp().getRequest<TrackedRequest>();
const marked = (context: ExecutionContext, key: string) =>
  Reflect.getMetadata(key, context.getHandler()) === true || Reflect.getMetadata(key, context.getClass()) === true;
const unlimited = (context: ExecutionContext) => marked(context, NO_RATE_LIMIT_KEY);

export type RateLimitName = 'user' | 'anon' | 'login' | 'login-email' | 'refresh';

/** The key is the tracker alone, never the route: a limit is per user (or IP, or email), across all routes. */
export const rateLimitKey = (name: RateLimitName, tracker: string) => `unit-ledger:${name}:${tracker}`;
const keyOf = (_: ExecutionContext, tracker: string, name: string) => rateLimitKey(name as RateLimitName, tracker);

/** The email of a login request as the login looks it up: trimmed, lower case. */
const loginEmail = (req: TrackedRequest) => {
  const email = req.body?.email;
  return typeof email === 'string' ? email.trim().toLowerCase() : '';
};
export const clientIp = (req: Request) => req.ip ?? 'unknown';
/** Whom the per-user limit counts: the API key a request came with, else the user. */
export const callerTracker = (user: AuthUser): string => user.apiKeyId ?? user.id;

/** The per-IP limit's window, also counted by the JWT guard for requests whose token fails. */
export const ANON_WINDOW_MS = 60_000;

/**
 * SPEC §6: per authenticated user (per API key for a machine client, SPEC §11), per IP for anonymous requests, and for logins per (email,
 * client IP) plus a looser ceiling per email. The strict login limit is per address, so that
 * wrong passwords sent from one address cannot lock the owner out at another; the ceiling stops
 * a guesser spread over many addresses. Every attempt counts, successful or not: it is counted
 * before the password is checked, so concurrent guesses cannot slip past the limit.
 * Throttlers run in this order and the first refusal stops the others: an attempt refused by
 * "login" does not count against the email's ceiling. Client IPs are only right behind a proxy
 * with TRUST_PROXY set (otherwise every client has the proxy's address).
 * The guard runs after authentication, so the user is known when its limit is counted, and
 * reports every limit it counted in the response (RateLimit-Policy, RateLimit).
 */
export function rateLimitOptions(config: AppConfig, storage?: ThrottlerStorage): ThrottlerModuleOptions {
  const { userPerMinute, anonPerMinute, loginPer15Min, loginPerEmailPer15Min, refreshPerMinute } = config.rateLimit;
  const isLogin = (context: ExecutionContext) => marked(context, LOGIN_LIMIT_KEY);
  const isRefresh = (context: ExecutionContext) => marked(context, REFRESH_LIMIT_KEY);
  return {
    storage,
    throttlers: [
      {
        name: 'user',
        ttl: 60_000,
        limit: userPerMinute,
        skipIf: (context) => unlimited(context) || !requestOf(context).user,
        // A machine client's API key has a budget of its own, apart from the person who made it.
        getTracker: (req) => callerTracker((req as TrackedRequest).user!),
        generateKey: keyOf,
      },
      {
        name: 'anon',
        ttl: ANON_WINDOW_MS,
        limit: anonPerMinute,
        skipIf: (context) => unlimited(context) || !!requestOf(context).user,
        getTracker: (req) => clientIp(req as TrackedRequest),
        generateKey: keyOf,
      },
      {
        name: 'login',
        ttl: 15 * 60_000,
        limit: loginPer15Min,
        skipIf: (context) => !isLogin(context),
        // The address first: it has no spaces, so the key is unambiguous whatever the email holds.
        getTracker: (req) => `${clientIp(req as TrackedRequest)} ${loginEmail(req as TrackedRequest)}`,
        generateKey: keyOf,
      },
      {
        name: 'login-email',
        ttl: 15 * 60_000,
        limit: loginPerEmailPer15Min,
        skipIf: (context) => !isLogin(context),
        getTracker: (req) => loginEmail(req as TrackedRequest),
        generateKey: keyOf,
      },
      {
        name: 'refresh',
        ttl: 60_000,
        limit: refreshPerMinute,
        skipIf: (context) => !isRefresh(context),
        getTracker: (req) => clientIp(req as TrackedRequest),
        generateKey: keyOf,
      },
    ],
  };
}
