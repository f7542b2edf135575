import type { NextFunction, Request, Response } from 'express';
import { ApiError, ValidationFailedError } from '../errors/api-error';
import { isObjectMemberName, unacceptableJson, unstorableText } from './json-guard';

/**
 * A body the JSON parser left unread: its Content-Type is not JSON (or is garbled). Every body of
 * this API is JSON, and a handler must never run as if a body sent in another type were absent.
 */
const unreadBody = (req: Request): boolean =>
  req.body === undefined && (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0);

/**
 * Before any handler: a body that was read as JSON (else 415); no body field and no query
 * parameter named like an object member (`constructor`, `__proto__`, …), and no text that cannot
 * be stored as sent (NUL, lone surrogates) — a 400 naming the field. Everything else is the DTOs'
 * business.
 */
export function inputGuardMiddleware(req: Request, _res: Response, next: NextFunction): void {
  if (unreadBody(req)) return next(new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'A request body must be sent as Content-Type: application/json'));
  const bodyProblem = unacceptableJson(req.body);
  if (bodyProblem) return next(new ValidationFailedError([bodyProblem]));
  const rawQuery = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
  if (!rawQuery) return next();
  const params = new URLSearchParams(rawQuery);
  for (const [key, value] of params) {
    const problem = isObjectMemberName(key) ? 'is not a parameter of this API' : unstorableText(value);
    if (problem) return next(new ValidationFailedError([{ field: key || '(empty)', message: `${key || 'parameter'} ${problem}` }]));
  }
  next();
}
