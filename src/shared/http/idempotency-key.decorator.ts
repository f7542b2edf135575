import { createParamDecorator, ExecutionContext, HttpStatus } from '@nestjs/common';
import { HTTP_CODE_METADATA } from '@nestjs/common/constants';
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { AuthUser } from '../auth/auth-user';
import { IdempotencyContext } from '../idempotency/idempotency-context';
import { ValidationFailedError } from '../errors/api-error';

const PRINTABLE_ASCII = /^[\x20-\x7e]{1,255}$/;

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * The request's Idempotency-Key, scoped to the caller, with a fingerprint of method, path and
 * body (key order does not matter). Undefined when the header is absent.
 */
export const Idempotency = createParamDecorator((_: unknown, ctx: ExecutionContext): IdempotencyContext | undefined => {
  const req = ctx.switchToHttp().getRequest<Request & { user: AuthUser }>();
  const key = req.headers['idempotency-key'];
  if (key === undefined) return undefined;
  if (typeof key !== 'string' || !PRINTABLE_ASCII.test(key)) {
    throw new ValidationFailedError([{ field: 'Idempotency-Key', message: 'must be 1-255 printable ASCII characters' }]);
  }
  const path = req.originalUrl.split('?')[0];
  const fingerprint = createHash('sha256')
    .update(`${req.method} ${path} ${canonicalJson(req.body ?? {})}`)
    .digest('hex');
  // Nest's own default when the handler sets no @HttpCode: 201 for POST, 200 for the rest (PATCH).
  const successStatus = Reflect.getMetadata(HTTP_CODE_METADATA, ctx.getHandler()) ?? (req.method === 'POST' ? HttpStatus.CREATED : HttpStatus.OK);
  // A machine client's keys are its own, apart from those of the person who made its API key.
  return { userId: req.user.apiKeyId ?? req.user.id, key, fingerprint, successStatus };
});
