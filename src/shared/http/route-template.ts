import type { Request } from 'express';

/** The matched route's template (`/api/v1/authorizations/:id`), never the raw path with ids. */
export function routeTemplate(req: Request): string {
  return req.route?.path ? `${req.baseUrl}${req.route.path}` : 'unmatched';
}
