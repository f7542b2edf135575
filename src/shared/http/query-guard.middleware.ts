import type { NextFunction, Request, Response } from 'express';
import { ValidationFailedError } from '../errors/api-error';
import { isObjectMemberName, unstorableText } from './json-guard';

/**
 * Before any handler: no query parameter named like an object member (`constructor`,
 * `__proto__`, …) and no value that cannot be stored as sent (NUL, lone surrogates) — a 400
 * naming the parameter. (Bodies are checked by JsonBodyGuard, once the caller is known.)
 */
export function queryGuardMiddleware(req: Request, _res: Response, next: NextFunction): void {
  const rawQuery = req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
  if (!rawQuery) return next();
  const params = new URLSearchParams(rawQuery);
  for (const [key, value] of params) {
    const problem = isObjectMemberName(key) ? 'is not a parameter of this API' : unstorableText(value);
    if (problem) return next(new ValidationFailedError([{ field: key || '(empty)', message: `${key || 'parameter'} ${problem}` }]));
  }
  next();
}
