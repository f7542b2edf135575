import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import type { Request } from 'express';
import { ValidationFailedError } from '../errors/api-error';

const takesBody = new WeakMap<object, boolean>();

/** Whether the handler declares a @Body() parameter: Nest records each as `3:<index>` (RouteParamtypes.BODY). */
function handlerTakesBody(context: ExecutionContext): boolean {
  const handler = context.getHandler();
  let known = takesBody.get(handler);
  if (known === undefined) {
    const args: Record<string, unknown> = Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ?? {};
    known = Object.keys(args).some((key) => key.split(':')[0] === String(RouteParamtypes.BODY));
    takesBody.set(handler, known);
  }
  return known;
}

/**
 * A route without a body DTO refuses a body with anything in it (400 VALIDATION_FAILED naming
 * each field), as a DTO refuses unknown fields: `{"units":1}` sent to release must not read as a
 * release of everything. No body and `{}` are fine. Driven by the route's own parameters, so a
 * new route is covered without a line of its own; runs after authentication, roles and rate limit
 * like the validation of a body DTO.
 */
@Injectable()
export class NoBodyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const body: unknown = context.switchToHttp().getRequest<Request>().body;
    if (body === undefined || handlerTakesBody(context)) return true;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ValidationFailedError([{ field: 'body', message: 'this route takes no request body' }]);
    }
    const fields = Object.keys(body);
    if (fields.length) throw new ValidationFailedError(fields.map((field) => ({ field, message: `property ${field} should not exist` })));
    return true;
  }
}
