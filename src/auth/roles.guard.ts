import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ForbiddenError } from '../shared/errors/api-error';
import { AuthUser } from '../shared/auth/auth-user';
import { ROLES_KEY } from '../shared/auth/decorators';
import { Role } from '../shared/auth/role';

/** Runs after authentication: the caller's role must be one the handler names (@Roles). */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const roles = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]);
    if (!roles) return true;
    const user = context.switchToHttp().getRequest<{ user?: AuthUser }>().user;
    if (!user || !roles.includes(user.role)) throw new ForbiddenError();
    return true;
  }
}
