import { ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { UnauthorizedError } from '../shared/errors/api-error';
import { PUBLIC_KEY } from './decorators';

@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override canActivate(context: ExecutionContext) {
    const isPublic = this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, [context.getHandler(), context.getClass()]);
    return isPublic ? true : super.canActivate(context);
  }

  /** A bad token is 401; an error while looking up its user (database down) surfaces as itself (503). */
  override handleRequest<TUser>(error: unknown, user: TUser): TUser {
    if (error) throw error;
    if (!user) throw new UnauthorizedError();
    return user;
  }
}
