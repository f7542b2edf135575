import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import { isConnectionError, isRetryable } from '../../database/pg-errors';
import { ApiError, ServiceUnavailableError } from './api-error';
import { ContentionRetryExhaustedError } from './business-errors';

const CODE_BY_STATUS: Record<number, string> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

/**
 * Errors from body parsing (malformed JSON, too large, bad charset, a body that is not in the
 * Content-Encoding it claims) carry an HTTP status of their own: http-errors marks them `expose`.
 */
function parserStatus(error: unknown): number | undefined {
  const e = error as { status?: unknown; type?: unknown; expose?: unknown };
  return typeof e?.status === 'number' && (typeof e.type === 'string' || e.expose === true) ? e.status : undefined;
}

function toApiError(exception: unknown): ApiError {
  if (exception instanceof ApiError) return exception;
  if (exception instanceof ThrottlerException) {
    return new ApiError(429, 'RATE_LIMITED', 'Too many requests', {}, { 'Retry-After': '60' });
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const body = exception.getResponse();
    const message = typeof body === 'string' ? body : String((body as { message?: unknown }).message ?? exception.message);
    const code = CODE_BY_STATUS[status] ?? (status >= 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST');
    return new ApiError(status, code, message, status === 400 ? { fields: [{ field: 'body', message }] } : {});
  }
  const status = parserStatus(exception);
  if (status !== undefined && status >= 400 && status < 500) {
    const limit = (exception as { limit?: unknown }).limit;
    const message = status === 413 && typeof limit === 'number' ? `Request body exceeds ${limit / 1024} kB` : (exception as Error).message || 'Request body is not valid JSON';
    const field = (exception as { field?: unknown }).field;
    return new ApiError(status, CODE_BY_STATUS[status] ?? 'BAD_REQUEST', message, status === 400 ? { fields: [{ field: typeof field === 'string' ? field : 'body', message }] } : {});
  }
  // Every state-changing handler is retried by the global RetryInterceptor, which turns a conflict
  // on its last attempt into CONTENTION_RETRY_EXHAUSTED; one that still gets here came from a
  // read-only route, which is not retried, and is contention all the same, not a server error.
  if (isRetryable(exception)) return new ContentionRetryExhaustedError(1);
  if (isConnectionError(exception)) {
    return new ServiceUnavailableError('DATABASE_UNAVAILABLE', 'The database is unavailable; retry later', 2);
  }
  return new ApiError(500, 'INTERNAL_ERROR', 'Internal server error');
}

const reasonPhrases = new Map<number, string>();

/** `Unprocessable Entity` for 422: the HttpStatus name in title case. */
function reasonPhrase(status: number): string {
  let phrase = reasonPhrases.get(status);
  if (phrase === undefined) {
    phrase = HttpStatus[status]?.replace(/_/g, ' ').toLowerCase().replace(/\b\w/g, (c) => c.toUpperCase()) ?? 'Error';
    reasonPhrases.set(status, phrase);
  }
  return phrase;
}

/** Renders every error as `{statusCode, error, message, code, ...}`; never a stack trace. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request>();
    const error = toApiError(exception);
    if (error.status >= 500) {
      const detail = exception instanceof Error ? (exception.stack ?? exception.message) : String(exception);
      this.logger.error(`${request.method} ${request.route?.path ?? 'unmatched'} → ${error.status} ${error.code}: ${detail}`);
    }
    if (response.headersSent) return;
    for (const [name, value] of Object.entries(error.headers)) response.setHeader(name, value);
    // Written directly: express's res.json()/send() cost more than the rest of a refusal.
    const body = JSON.stringify({ statusCode: error.status, error: reasonPhrase(error.status), message: error.message, code: error.code, ...error.extra });
    response.statusCode = error.status;
    response.setHeader('Content-Type', 'application/json; charset=utf-8');
    response.setHeader('Content-Length', Buffer.byteLength(body));
    response.end(request.method === 'HEAD' ? undefined : body);
  }
}
