import type { NextFunction, Request, Response } from 'express';
import type { Server } from 'node:http';
import { Server as NetServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { ServiceUnavailableError } from '../errors/api-error';

/**
 * Idle keep-alive sockets live longer than the idle timeout of a load balancer in front (commonly
 * 60 s), so the balancer, never this server, closes them: a socket closed by the server just as
 * the balancer reuses it is a reset, seen by the client as a 502. Node checks headersTimeout also
 * on a reused socket; it stays above the keep-alive timeout.
 */
export function applyKeepAliveTimeout(server: Server, keepAliveTimeoutMs: number): void {
  server.keepAliveTimeout = keepAliveTimeoutMs;
  server.headersTimeout = keepAliveTimeoutMs + 1_000;
  server.requestTimeout = Math.max(server.requestTimeout, server.headersTimeout);
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
