import type { NextFunction, Request, Response } from 'express';

/**
 * On every answer: answers carry patient data and tokens, so no cache (browser, proxy) keeps them
 * (RFC 6749 §5.1 asks it of token responses), and no browser guesses a type other than the one sent.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

/** First in the pipeline, so refusals by the body parser, guards and filters carry them too. */
export function securityHeadersMiddleware(_req: Request, res: Response, next: NextFunction): void {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
  next();
}
