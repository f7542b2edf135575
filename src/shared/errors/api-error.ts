/**
 * Every failure a client can see is one of these: an HTTP status, a stable `code`, a message and,
 * for some rules, extra fields (SPEC §5). The exception filter renders them; nothing else does.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    // No stack: these are answers to clients, not faults, and capturing one is the costliest part of a refusal.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = stackTraceLimit;
    this.name = new.target.name;
  }
}

export interface FieldProblem {
  field: string;
  message: string;
}

/** A refusal lists at most this many problems: a body of 9,000 unknown keys must not earn a 500 kB answer. */
export const MAX_LISTED_FIELDS = 20;

export class ValidationFailedError extends ApiError {
  constructor(fields: FieldProblem[], message = 'The request is not valid') {
    const unlisted = fields.length - MAX_LISTED_FIELDS;
    super(400, 'VALIDATION_FAILED', unlisted > 0 ? `${message}; ${unlisted} more problems are not listed` : message, {
      fields: unlisted > 0 ? fields.slice(0, MAX_LISTED_FIELDS) : fields,
    });
  }
}

export class UnauthorizedError extends ApiError {
  constructor(message = 'Missing, malformed, expired or invalid bearer token') {
    super(401, 'UNAUTHORIZED', message);
  }
}

export class InvalidCredentialsError extends ApiError {
  constructor() {
    super(401, 'INVALID_CREDENTIALS', 'Email or password is incorrect');
  }
}

export class ForbiddenError extends ApiError {
  constructor(message = 'Your role does not allow this') {
    super(403, 'FORBIDDEN', message);
  }
}

/** Also the answer for another organization's objects: their existence is not disclosed. */
export class NotFoundError extends ApiError {
  constructor(resource: string) {
    super(404, 'NOT_FOUND', `${resource} not found`);
  }
}

export class ConflictError extends ApiError {
  constructor(code: string, message: string, extra: Record<string, unknown> = {}) {
    super(409, code, message, extra);
  }
}

export class RateLimitedError extends ApiError {
  constructor(retryAfterSeconds: number) {
    super(429, 'RATE_LIMITED', 'Too many requests', {}, { 'Retry-After': String(Math.max(1, retryAfterSeconds)) });
  }
}

export class ServiceUnavailableError extends ApiError {
  constructor(code: string, message: string, retryAfterSeconds = 1) {
    super(503, code, message, {}, { 'Retry-After': String(retryAfterSeconds) });
  }
}
