import type { NextFunction, Request, Response } from 'express';
import { ValidationFailedError } from '../errors/api-error';
import { isObjectMemberName, unacceptableJson, unstorableText } from './json-guard';

/**
 * Before any handler: no body field and no query parameter named like an object member
 * (`constructor`, `__proto__`, …), and no text that cannot be stored as sent (NUL, lone
 * surrogates) — a 400 naming the field. Everything else is the DTOs' business.
 */
export function inputGuardMiddleware(req: Request, _res: Response, next: NextFunction): void {
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
