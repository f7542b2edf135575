import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { InjectThrottlerStorage, ThrottlerStorage } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { reportRateLimit, retryAfterSeconds } from '../rate-limit/rate-limit.headers';
import { ANON_WINDOW_MS, clientIp, rateLimitKey } from '../rate-limit/rate-limit.options';
import { RateLimitedError, UnauthorizedError } from '../shared/errors/api-error';
import { AccessTokenVerifier } from './access-token-verifier';
import { AuthUser } from './auth-user';
import { PUBLIC_KEY } from './decorators';

/** Every route but the @Public() ones needs a valid bearer token; its user becomes `request.user`. */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly tokens: AccessTokenVerifier,
    @InjectThrottlerStorage() private readonly limits: ThrottlerStorage,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<Request & { user?: AuthUser }>();
    try {
      request.user = await this.tokens.authenticate(request.headers.authorization);
      return true;
    } catch (error) {
      if (error instanceof UnauthorizedError) await this.countAnonymous(request, context.switchToHttp().getResponse<Response>());
      throw error;
    }
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
