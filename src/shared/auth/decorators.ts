import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Request } from 'express';
import { AuthUser } from './auth-user';
import { Role } from './role';

export const PUBLIC_KEY = 'unit-ledger:public';
/** No bearer token needed (login, probes, metrics, docs). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

export const ROLES_KEY = 'unit-ledger:roles';
export const Roles = (...roles: Role[]) => SetMetadata(ROLES_KEY, roles);

export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthUser => {
  return ctx.switchToHttp().getRequest<Request & { user: AuthUser }>().user;
});
