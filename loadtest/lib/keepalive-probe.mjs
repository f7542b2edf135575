// How long the server keeps an idle keep-alive connection: one request on a connection of its own,
// then the time until the server closes it, or `maxWaitMs` without it closing. A client (or load
// balancer) that reuses idle sockets longer than this races the server's close: the soak's
// transport errors show that race only when it happens to hit, this measures its cause.
import net from 'node:net';
import tls from 'node:tls';
import { performance } from 'node:perf_hooks';
import { parseResponse } from './lean-http-client.mjs';

/**
 * Resolves (never rejects) to { status, keepAliveHeader, closedAfterMs, stillOpenAfterMs, error? }:
 * closedAfterMs counts from the complete response to the server's close; stillOpenAfterMs is set
 * instead when the connection was still open after maxWaitMs (the probe then closes it).
 */
export function probeIdleClose(baseUrl, { maxWaitMs, path = '/health/live' }) {
  const base = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket =
      base.protocol === 'https:'
        ? tls.connect({ host: base.hostname, port: Number(base.port || 443), servername: base.hostname })
        : net.connect({ host: base.hostname, port: Number(base.port || 80) });
    let buf = Buffer.alloc(0);
    let answeredAt = null;
    let answer = { status: null, keepAliveHeader: null };
    let timer = null;
    let settled = false;
    const done = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...answer, closedAfterMs: null, stillOpenAfterMs: null, ...result });
    };
    const sinceAnswer = () => (answeredAt === null ? null : Math.round(performance.now() - answeredAt));
    socket.on('data', (chunk) => {
      if (answeredAt !== null) return done({ error: 'unexpected data after the response' });
      buf = Buffer.concat([buf, chunk]);
      let parsed;
      try {
        parsed = parseResponse(buf, 'GET');
      } catch (err) {
        return done({ error: err.message });
      }
      if (!parsed) return;
      answeredAt = performance.now();
      answer = { status: parsed.status, keepAliveHeader: parsed.headers['keep-alive'] ?? null };
      timer = setTimeout(() => done({ stillOpenAfterMs: maxWaitMs }), maxWaitMs);
    });
    socket.on('error', (err) => done({ closedAfterMs: sinceAnswer(), error: err.message }));
    socket.on('close', () => done(answeredAt === null ? { error: 'closed before a response' } : { closedAfterMs: sinceAnswer() }));
    socket.write(`GET ${path} HTTP/1.1\r\nHost: ${base.host}\r\naccept: */*\r\n\r\n`);
  });
}
