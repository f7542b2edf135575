import { Injectable, Logger } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerRequest } from '@nestjs/throttler';
import type { Response } from 'express';
import { RateLimitedError } from '../shared/errors/api-error';
import { LimitAnswer, reportRateLimit, retryAfterSeconds } from './rate-limit.headers';
import type { RateLimitName } from './rate-limit.options';

/**
 * The library's guard decides which limits apply to a request (skipIf, per-route options); each
 * one is counted here, in the shape the library's README gives for a custom handleRequest: one
 * increment, whose answer both decides and is reported in the response (RateLimit-Policy,
 * RateLimit). Options the library's own handleRequest reads and ours does not: ignoreUserAgents
 * and setHeaders (its X-RateLimit-*-<name> headers); rateLimitOptions() sets neither.
 */
@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly warnings = new Logger('RateLimit');
  /** The global guard counts per user and per IP, before the body is read (JsonBodyGuard runs after it). */
  protected readonly counts: ReadonlySet<RateLimitName> = new Set<RateLimitName>(['user', 'anon']);

  protected override async handleRequest({ context, limit, ttl, throttler, blockDuration, getTracker, generateKey }: ThrottlerRequest): Promise<boolean> {
    const http = context.switchToHttp();
    const name = throttler.name!;
    if (!this.counts.has(name as RateLimitName)) return true;
    let answer: LimitAnswer;
    try {
      const key = generateKey(context, await getTracker(http.getRequest(), context), name);
      answer = await this.storageService.increment(key, ttl, limit, blockDuration, name);
    } catch (error) {
      // A limit that cannot be counted (shared storage down) lets the request through: limits protect the service, they must not take it down.
      this.warnings.warn(`rate limit not counted: ${(error as Error).message}`);
      return true;
    }
    reportRateLimit(http.getResponse<Response>(), name, limit, ttl, answer);
    if (answer.isBlocked) throw new RateLimitedError(retryAfterSeconds(answer));
    return true;
  }
}

/**
 * The login limits are keyed by the email in the body, so they are counted by this route guard
 * (@LoginRateLimited), which runs after the global guards have counted the per-IP limit and
 * JsonBodyGuard has read the (small) body.
 */
@Injectable()
export class LoginRateLimitGuard extends RateLimitGuard {
  protected override readonly counts: ReadonlySet<RateLimitName> = new Set<RateLimitName>(['login', 'login-email']);
}

/**
 * The refresh-token routes (@RefreshRateLimited) carry their credential in the body, so no user is
 * known before it is looked up: they are counted per client IP, on a budget of their own, on top
 * of the per-IP limit every anonymous request counts against.
 */
@Injectable()
export class RefreshRateLimitGuard extends RateLimitGuard {
  protected override readonly counts: ReadonlySet<RateLimitName> = new Set<RateLimitName>(['refresh']);
}
