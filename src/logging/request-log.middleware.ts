import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger as Pino } from 'pino';
import { AuthUser } from '../shared/auth/auth-user';
import { routeTemplate } from '../shared/http/route-template';

const USABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * One log line per request: request id (the caller's X-Request-Id when usable, else a new one,
 * returned in the response either way), method, route template, status, duration, user and
 * organization. Never bodies, tokens or passwords: nothing else of the request is logged.
 */
export function requestLogMiddleware(logger: Pino) {
  const logging = logger.isLevelEnabled('info');
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.headers['x-request-id'];
    const requestId = typeof incoming === 'string' && USABLE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', requestId);
    if (!logging) return next();
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const user = (req as Request & { user?: AuthUser }).user;
      logger.info(
        {
          requestId,
          method: req.method,
          route: routeTemplate(req),
          status: res.statusCode,
          durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100,
          userId: user?.id ?? null,
          organizationId: user?.organizationId ?? null,
        },
        'request',
      );
    });
    next();
  };
}
