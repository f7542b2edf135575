import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { json, type Request, type RequestHandler, type Response } from 'express';
import { ApiError, ValidationFailedError } from '../errors/api-error';
import { checkBodyBytes, unacceptableJson } from './json-guard';

/** The largest JSON body a route accepts unless it says otherwise (SPEC §5: 413 above it). */
export const DEFAULT_BODY_LIMIT_BYTES = 100 * 1024;

const BODY_LIMIT_KEY = 'unit-ledger:body-limit';
/** A route whose bodies are small (login) refuses more than `bytes` with 413 before parsing anything. */
export const JsonBodyLimit = (bytes: number) => SetMetadata(BODY_LIMIT_KEY, bytes);

const parsers = new Map<number, RequestHandler>();
const parserFor = (limit: number): RequestHandler => {
  let parser = parsers.get(limit);
  if (!parser) parsers.set(limit, (parser = json({ limit, strict: true, verify: checkBodyBytes })));
  return parser;
};

/**
 * A body the JSON parser left unread: its Content-Type is not JSON (or is garbled). Every body of
 * this API is JSON, and a handler must never run as if a body sent in another type were absent.
 */
const unreadBody = (req: Request): boolean =>
  req.body === undefined && (req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length']) > 0);

/**
 * Reads the JSON body only once the caller is known and counted: the guards before this one
 * (authentication, roles, the per-user and per-IP limits) refuse without a byte of the body
 * parsed, so a flood of large bodies costs the sender its rate limit, not this process its event
 * loop. Then: a body sent as JSON (else 415), no key named like an object member, no text that
 * cannot be stored, no object with more keys than any request has (json-guard.ts). Everything
 * else is the DTOs' business.
 */
@Injectable()
export class JsonBodyGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const limit = this.reflector.get<number | undefined>(BODY_LIMIT_KEY, context.getHandler()) ?? DEFAULT_BODY_LIMIT_BYTES;
    await new Promise<void>((resolve, reject) => parserFor(limit)(req, http.getResponse<Response>(), (error?: unknown) => (error ? reject(error) : resolve())));
    if (unreadBody(req)) throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'A request body must be sent as Content-Type: application/json');
    const problem = unacceptableJson(req.body);
    if (problem) throw new ValidationFailedError([problem]);
    return true;
  }
}
