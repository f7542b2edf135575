import type { OpenAPIObject, OperationObject, ResponseObject } from '@nestjs/swagger';

const POLICIES =
  '"user": per authenticated user, all routes together; "anon": per client IP, requests without a valid token; ' +
  '"login": per email and client IP, POST /auth/login (which "anon" counts too); "login-email": per email, from all addresses together, ' +
  'POST /auth/login (not counted when "login" refuses); "refresh": per client IP, POST /auth/refresh and /auth/logout. ' +
  'A request with an API key counts as "user" against the key\'s own budget.';

const HEADERS = {
  'RateLimit-Policy': {
    description: `Each limit that counted this request (draft-ietf-httpapi-ratelimit-headers): q requests per w seconds. ${POLICIES}`,
    schema: { type: 'string', example: '"user";q=6000;w=60' },
  },
  RateLimit: {
    description: 'For each policy in RateLimit-Policy: r requests left, t seconds until its window resets. On a 429, r=0 and t equals Retry-After.',
    schema: { type: 'string', example: '"user";r=5999;t=42' },
  },
};

const ref = (name: keyof typeof HEADERS) => ({ $ref: `#/components/headers/${name}` });
const RATE_LIMIT_HEADERS = { 'RateLimit-Policy': ref('RateLimit-Policy'), RateLimit: ref('RateLimit') };

const TOO_MANY_REQUESTS: ResponseObject = {
  description: 'RATE_LIMITED: a limit of this request is spent.',
  headers: { 'Retry-After': { description: 'Seconds until the client may send again.', schema: { type: 'integer', example: 42 } }, ...RATE_LIMIT_HEADERS },
};

/**
 * Documents the rate-limit headers on every operation under `apiPrefix` (the business routes; probes
 * and metrics at the root are never limited): on each of its responses, and a 429.
 */
export function documentRateLimits(document: OpenAPIObject, apiPrefix: string): OpenAPIObject {
  document.components = { ...document.components, headers: { ...document.components?.headers, ...HEADERS } };
  for (const [path, item] of Object.entries(document.paths)) {
    if (!path.startsWith(apiPrefix)) continue;
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation: OperationObject | undefined = item[method];
      if (!operation) continue;
      for (const response of Object.values(operation.responses)) {
        if (response && !('$ref' in response)) response.headers = { ...response.headers, ...RATE_LIMIT_HEADERS };
      }
      operation.responses['429'] ??= TOO_MANY_REQUESTS;
    }
  }
  return document;
}
