import type { NextFunction, Request, Response } from 'express';
import { routeTemplate } from '../shared/http/route-template';
import { MetricsService } from './metrics.service';

/** Observes every request once it finishes, labelled by route template (never the raw path). */
export function httpMetricsMiddleware(metrics: MetricsService) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      metrics.httpDuration.observe({ method: req.method, route: routeTemplate(req), status_code: String(res.statusCode) }, seconds);
    });
    next();
  };
}
