import type { NextFunction, Request, Response } from 'express';
import type { Server } from 'node:http';
import { Server as NetServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Socket } from 'node:net';
import { ServiceUnavailableError } from '../errors/api-error';
import { SECURITY_HEADERS } from './security-headers';

export interface ConnectionLimits {
  /** An idle keep-alive socket is kept this long: above the idle timeout of a load balancer in front. */
  keepAliveTimeoutMs: number;
  /** A request's headers must be complete this long after its first byte… */
  headersTimeoutMs: number;
  /** …and the whole request, body included, this long after it (else 408 and the socket is closed). */
  requestTimeoutMs: number;
  /** Sockets open at once; a connection above it is closed as soon as it is accepted. */
  maxConnections: number;
}

/** How often Node looks for requests over their headers or request timeout (its default is 30 s). */
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

/**
 * Idle keep-alive sockets live longer than the idle timeout of a load balancer in front (commonly
 * 60 s), so the balancer, never this server, closes them: a socket closed by the server just as
 * the balancer reuses it is a reset, seen by the client as a 502.
 *
 * A slow client (headers or a body trickling in a byte at a time) may hold a socket only for the
 * headers and request timeouts. Since Node 18 both are checked only for a request in progress —
 * from its first byte until it is completely received — never for an idle keep-alive socket, so
 * they may be far shorter than the keep-alive timeout (the old advice, headers timeout above
 * keep-alive, is for Node < 18). Node checks them every connectionsCheckingInterval; it reads
 * that when the server starts listening, so this runs before listen().
 */
export function applyConnectionLimits(server: Server, limits: ConnectionLimits): void {
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = TIMEOUT_CHECK_INTERVAL_MS;
  server.maxConnections = limits.maxConnections;
}

/** Refusals Node's HTTP parser makes before any request exists, answered with the error body of SPEC §5. */
const EARLY_REFUSALS: Record<string, { status: number; error: string; code: string; message: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, error: 'Request Header Fields Too Large', code: 'HEADERS_TOO_LARGE', message: 'Request headers are too large' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, error: 'Request Timeout', code: 'REQUEST_TIMEOUT', message: 'The request was not received in time' },
};

/**
 * Replaces Node's bare answers to a request it refuses itself (headers too large, not received in
 * time) with the JSON error body and the headers every answer carries. Malformed HTTP still gets
 * Node's bare 400. Nothing is written once an answer on the socket has begun.
 */
export function answerEarlyRefusals(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    const answering = (socket as Socket & { _httpMessage?: { headersSent: boolean } })._httpMessage?.headersSent;
    if (socket.writable && !answering) {
      const refusal = EARLY_REFUSALS[error.code ?? ''];
      if (refusal) {
        const body = JSON.stringify({ statusCode: refusal.status, error: refusal.error, message: refusal.message, code: refusal.code });
        const headers = { ...SECURITY_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(body), Connection: 'close' };
        const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
        socket.write(`HTTP/1.1 ${refusal.status} ${refusal.error}\r\n${head}\r\n${body}`);
      } else {
        socket.write('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      }
    }
    socket.destroy();
  });
}

export interface ShutdownPhase {
  /** SIGTERM received: still serving (the grace period), but no socket is kept for later. */
  shuttingDown: boolean;
  /** Grace period over: requests are turned away until the listener closes. */
  servingStopped: boolean;
}

/**
 * While the instance shuts down, every response says `Connection: close`: the client opens a new
 * connection for its next request (to another instance once this one is out of the load
 * balancer) instead of reusing a socket that is about to be closed under it. Once the grace
 * period is over, requests still arriving get 503 NOT_READY (nothing was done; retry elsewhere)
 * rather than a connection reset.
 */
export function shutdownMiddleware(phase: ShutdownPhase) {
  return (_req: Request, res: Response, next: NextFunction) => {
    if (!phase.shuttingDown) return next();
    res.setHeader('Connection', 'close');
    if (phase.servingStopped) return next(new ServiceUnavailableError('NOT_READY', 'Shutting down: send the request to another instance'));
    next();
  };
}

export interface DrainLimits {
  /** The listener closes once no connection has arrived for this long… */
  quietMs: number;
  /** …or after this long at most; in-flight requests get the rest of it, then every socket is cut. */
  drainLimitMs: number;
}

/**
 * Closing a listening socket resets every connection the kernel has completed but the server has
 * not yet accepted: to a client that already sent its request, a broken request. So the listener
 * stays open (answering 503, see shutdownMiddleware) until connections stop arriving, and closes
 * only then. http.Server#close() would also close idle keep-alive sockets *before* the listener;
 * here they are closed after it (net.Server#close first), when no new socket can appear.
 */
export async function drainHttpServer(server: Server, limits: DrainLimits): Promise<void> {
  const deadline = Date.now() + limits.drainLimitMs;
  let lastConnectionAt = Date.now();
  const onConnection = () => (lastConnectionAt = Date.now());
  server.on('connection', onConnection);
  for (let wait = limits.quietMs; wait > 0 && Date.now() < deadline; wait = lastConnectionAt + limits.quietMs - Date.now()) await sleep(wait);
  server.off('connection', onConnection);

  const allClosed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
  server.closeIdleConnections();
  const cut = setTimeout(() => server.closeAllConnections(), Math.max(0, deadline - Date.now())).unref();
  await allClosed;
  clearTimeout(cut);
}
