import { ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { InjectThrottlerStorage, ThrottlerStorage } from '@nestjs/throttler';
import type { Request } from 'express';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { rateLimitKey } from '../rate-limit/rate-limit.options';
import { RateLimitedError, UnauthorizedError } from '../shared/errors/api-error';
import { PUBLIC_KEY } from './decorators';

@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(
    private readonly reflector: Reflector,
    @InjectThrottlerStorage() private readonly limits: ThrottlerStorage,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    if (isPublic) return true;
    try {
      return (await super.canActivate(context)) as boolean;
    } catch (error) {
      if (error instanceof UnauthorizedError) await this.countAnonymous(context);
      throw error;
    }
  }

  /**
   * A request without a valid token is anonymous: it counts against the per-IP limit like any
   * other (the rate-limit guard, which runs after this one, never sees it), so guessing tokens
   * is as limited as guessing passwords.
   */
  private async countAnonymous(context: ExecutionContext): Promise<void> {
    const ip = context.switchToHttp().getRequest<Request>().ip ?? 'unknown';
    const limit = this.config.rateLimit.anonPerMinute;
    const hits = await this.limits.increment(rateLimitKey('anon', ip), 60_000, limit, 60_000, 'anon').catch(() => undefined);
    if (hits?.isBlocked) throw new RateLimitedError(Math.ceil(hits.timeToBlockExpire));
  }

  /** A bad token is 401; an error while looking up its user (database down) surfaces as itself (503). */
  override handleRequest<TUser>(error: unknown, user: TUser): TUser {
    if (error) throw error;
    if (!user) throw new UnauthorizedError();
    return user;
  }
}
