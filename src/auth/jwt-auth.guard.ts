import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard, AuthModuleOptions } from '@nestjs/passport';
import { InjectThrottlerStorage, ThrottlerStorage } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { reportRateLimit, retryAfterSeconds } from '../rate-limit/rate-limit.headers';
import { ANON_WINDOW_MS, clientIp, rateLimitKey } from '../rate-limit/rate-limit.options';
import { RateLimitedError, UnauthorizedError } from '../shared/errors/api-error';
import { UserDirectory } from '../users/user-directory.service';
import { bearerToken, callerOf, nowSeconds } from './access-token-claims';
import { AuthUser } from '../shared/auth/auth-user';
import { PUBLIC_KEY } from '../shared/auth/decorators';
import { VerifiedTokens } from './verified-tokens';

/**
 * Every route but the @Public() ones needs a valid bearer token; its user becomes `request.user`.
 * Passport decides (AuthGuard with this application's strategies, see auth-strategies.ts): the first
 * time a token is seen, JwtStrategy verifies it. A token it accepted before is recognised by its
 * exact bytes in VerifiedTokens — its time window checked again, its user loaded again — without a
 * second signature check.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard() {
  constructor(
    private readonly reflector: Reflector,
    options: AuthModuleOptions,
    private readonly verified: VerifiedTokens,
    private readonly users: UserDirectory,
    @InjectThrottlerStorage() private readonly limits: ThrottlerStorage,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super(options);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<Request & { user?: AuthUser }>();
    try {
      const token = bearerToken(request.headers.authorization);
      const claims = token === undefined ? undefined : this.verified.recall(token, nowSeconds());
      if (!claims) return (await super.canActivate(context)) as boolean;
      const caller = await callerOf(this.users, claims);
      if (!caller) throw new UnauthorizedError();
      request.user = caller;
      return true;
    } catch (error) {
      if (error instanceof UnauthorizedError) await this.countAnonymous(request, context.switchToHttp().getResponse<Response>());
      throw error;
    }
  }

  /** Passport's answer: a refused token is 401 UNAUTHORIZED; an error (the database is down) stays what it is. */
  override handleRequest<TUser = AuthUser>(error: unknown, user: TUser | false | null): TUser {
    if (error) throw error;
    if (!user) throw new UnauthorizedError();
    return user;
  }

  /**
   * A request without a valid token is anonymous: it counts against the per-IP limit like any
   * other (the rate-limit guard, which runs after this one, never sees it), so guessing tokens
   * is as limited as guessing passwords.
   */
  private async countAnonymous(request: Request, response: Response): Promise<void> {
    const limit = this.config.rateLimit.anonPerMinute;
    const hits = await this.limits.increment(rateLimitKey('anon', clientIp(request)), ANON_WINDOW_MS, limit, ANON_WINDOW_MS, 'anon').catch(() => undefined);
    if (!hits) return;
    reportRateLimit(response, 'anon', limit, ANON_WINDOW_MS, hits);
    if (hits.isBlocked) throw new RateLimitedError(retryAfterSeconds(hits));
  }
}
