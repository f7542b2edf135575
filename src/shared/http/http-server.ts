import type { NextFunction, Request, Response } from 'express';
import type { Server } from 'node:http';
import { Server as NetServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

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

/**
 * While the instance shuts down, every response says `Connection: close`: the client opens a new
 * connection for its next request (to another instance once this one is out of the load
 * balancer) instead of reusing a socket that is about to be closed under it.
 */
export function connectionCloseWhile(shuttingDown: () => boolean) {
  return (_req: Request, res: Response, next: NextFunction) => {
    if (shuttingDown()) res.setHeader('Connection', 'close');
    next();
  };
}

export interface DrainLimits {
  /** How long a socket that is idle once the listener has closed may still bring a request. */
  idleGraceMs: number;
  /** In-flight requests get this long; then every socket is cut. */
  drainLimitMs: number;
}

/**
 * Stops accepting connections, then closes the sockets. http.Server#close() would close idle
 * keep-alive sockets first, while the listener is still open — and an idle socket may be a
 * connection just accepted whose request is already on its way. So the listener closes first
 * (net.Server#close), requests still arriving on open sockets are answered (with Connection:
 * close, which closes their socket), and only sockets still idle after `idleGraceMs` are closed.
 */
export async function drainHttpServer(server: Server, limits: DrainLimits): Promise<void> {
  const allClosed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
  await Promise.race([allClosed, sleep(limits.idleGraceMs)]);
  server.closeIdleConnections();
  const cut = setTimeout(() => server.closeAllConnections(), limits.drainLimitMs).unref();
  await allClosed;
  clearTimeout(cut);
}
