import { ExecutionContext, Injectable, Logger } from '@nestjs/common';
import { ThrottlerGuard, ThrottlerLimitDetail, ThrottlerRequest } from '@nestjs/throttler';
import { RateLimitedError } from '../shared/errors/api-error';

@Injectable()
export class RateLimitGuard extends ThrottlerGuard {
  private readonly warnings = new Logger('RateLimit');

  /** A limit that cannot be counted (shared storage down) lets the request through: limits protect the service, they must not take it down. */
  protected override async handleRequest(request: ThrottlerRequest): Promise<boolean> {
    try {
      return await super.handleRequest(request);
    } catch (error) {
      if (error instanceof RateLimitedError) throw error;
      this.warnings.warn(`rate limit not counted: ${(error as Error).message}`);
      return true;
    }
  }

  protected override async throwThrottlingException(_: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
    throw new RateLimitedError(Math.ceil(detail.timeToBlockExpire));
  }
}
