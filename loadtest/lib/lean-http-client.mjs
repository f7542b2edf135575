// The load generator's HTTP/1.1 client for plain-http targets: keep-alive sockets and the least
// work per request (one write of prebuilt text, a small response parser). It shares the machine
// with the service and the database, and node:http's client costs about half a millisecond of
// its own per request on it — time that would otherwise be counted as service latency. Same
// interface and answers as createHttpClient (http-client.mjs), which it falls back to for https.
import net from 'node:net';
import { answer, createHttpClient } from './http-client.mjs';

const HEADER_END = Buffer.from('\r\n\r\n');

/** Parses one response from the front of `buf`: { status, headers, body, rest } or null if incomplete. */
export function parseResponse(buf, method) {
  const end = buf.indexOf(HEADER_END);
  if (end < 0) return null;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(lines[0].split(' ')[1]);
  if (!Number.isInteger(status)) throw new Error(`malformed status line: ${lines[0].slice(0, 80)}`);
  const headers = {};
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i].indexOf(':');
    const name = lines[i].slice(0, colon).trim().toLowerCase();
    const value = lines[i].slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const start = end + HEADER_END.length;
  if (method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200)) {
    return { status, headers, body: Buffer.alloc(0), rest: buf.subarray(start) };
  }
  if (/\bchunked\b/i.test(headers['transfer-encoding'] ?? '')) {
    const chunks = [];
    let at = start;
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', at);
      if (lineEnd < 0) return null;
      const size = parseInt(buf.subarray(at, lineEnd).toString('latin1'), 16);
      if (Number.isNaN(size)) throw new Error('malformed chunk size');
      if (size === 0) {
        const trailerEnd = buf.indexOf(HEADER_END, lineEnd);
        if (trailerEnd < 0 && buf.indexOf('\r\n', lineEnd + 2) !== lineEnd + 2) return null;
        const after = trailerEnd < 0 ? lineEnd + 4 : trailerEnd + 4;
        return { status, headers, body: Buffer.concat(chunks), rest: buf.subarray(after) };
      }
      if (buf.length < lineEnd + 2 + size + 2) return null;
      chunks.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
  }
  const length = headers['content-length'];
  if (length === undefined) throw new Error('response without Content-Length or chunked encoding');
  const total = start + Number(length);
  if (buf.length < total) return null;
  return { status, headers, body: buf.subarray(start, total), rest: buf.subarray(total) };
}

/**
 * Idle sockets older than `maxIdleMs` are not reused (default 2 s: the service's keep-alive timeout
 * was Node's 5 s). The soak mode sets it like a load balancer's idle timeout (60 s), so a server that
 * drops idle sockets sooner shows up as transport errors instead of being worked around here.
 */
const DEFAULT_MAX_IDLE_MS = 2000;

/**
 * `errorCode` of an answer without an HTTP response: the socket error's code (ECONNRESET, EPIPE,
 * ECONNREFUSED…), or one of these for what the client itself detected.
 */
export const CLOSED_BEFORE_RESPONSE = 'CLOSED_BEFORE_RESPONSE';
export const TIMEOUT = 'TIMEOUT';
export const BAD_RESPONSE = 'BAD_RESPONSE';

export function createLeanHttpClient(baseUrl, { timeoutMs = 60000, maxIdleMs = DEFAULT_MAX_IDLE_MS } = {}) {
  const base = new URL(baseUrl);
  if (base.protocol !== 'http:') return createHttpClient(baseUrl, { timeoutMs });
  const port = Number(base.port || 80);
  const hostHeader = base.host;
  const idle = [];
  const open = new Set();
  const stats = { connections: 0, requests: 0, onReusedSocket: 0 };
  const dropIdle = (socket) => {
    const i = idle.indexOf(socket);
    if (i >= 0) idle.splice(i, 1);
  };

  function connect() {
    const socket = net.connect({ host: base.hostname, port, noDelay: true });
    stats.connections++;
    open.add(socket);
    socket.on('end', () => dropIdle(socket)); // the server closed its side: never reuse it
    socket.on('close', () => {
      open.delete(socket);
      dropIdle(socket);
    });
    socket.on('error', () => {}); // reported through the request that owns the socket
    return socket;
  }

  /**
   * Resolves (never rejects) to { status, body, code, headers } or, without an HTTP response,
   * { status: 0, error, errorCode, reusedSocket, idleMs }. A request is sent once: a failure on a
   * reused keep-alive socket is answered as such, never retried on a new one.
   */
  function request(method, path, { token, body, headers = {} } = {}) {
    return new Promise((resolve) => {
      const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
      let head = `${method} ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\naccept: application/json\r\n`;
      if (payload) head += `content-type: application/json\r\ncontent-length: ${payload.length}\r\n`;
      if (token) head += `authorization: Bearer ${token}\r\n`;
      for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
      head += '\r\n';
      let socket = idle.pop();
      while (socket && Date.now() - socket.idleSince > maxIdleMs) {
        socket.destroy();
        socket = idle.pop();
      }
      const reusedSocket = Boolean(socket);
      const idleMs = reusedSocket ? Date.now() - socket.idleSince : null;
      socket ??= connect();
      stats.requests++;
      if (reusedSocket) stats.onReusedSocket++;
      let buf = Buffer.alloc(0);
      let settled = false;
      const finish = (result, reusable) => {
        if (settled) return;
        settled = true;
        socket.removeListener('data', onData);
        socket.removeListener('close', onClose);
        socket.removeListener('error', onError);
        socket.removeListener('timeout', onTimeout);
        socket.setTimeout(0);
        if (reusable) {
          socket.idleSince = Date.now();
          idle.push(socket);
        } else {
          socket.destroy();
        }
        resolve(result);
      };
      const fail = (errorCode, error) => finish({ status: 0, error, errorCode, reusedSocket, idleMs }, false);
      const onData = (chunk) => {
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        let parsed;
        try {
          parsed = parseResponse(buf, method);
        } catch (err) {
          return fail(BAD_RESPONSE, err.message);
        }
        if (!parsed) return;
        const keep = parsed.rest.length === 0 && !/\bclose\b/i.test(parsed.headers.connection ?? '');
        finish(answer(parsed.status, parsed.headers, parsed.body.toString('utf8')), keep);
      };
      const onClose = () => fail(CLOSED_BEFORE_RESPONSE, 'connection closed before a complete response');
      const onError = (err) => fail(err.code ?? 'ERROR', err.message);
      const onTimeout = () => fail(TIMEOUT, `timeout after ${timeoutMs} ms`);
      socket.on('data', onData);
      socket.once('close', onClose);
      socket.once('error', onError);
      socket.once('timeout', onTimeout);
      socket.setTimeout(timeoutMs);
      socket.write(payload ? Buffer.concat([Buffer.from(head, 'latin1'), payload]) : head);
    });
  }

  return {
    request,
    baseUrl: base.origin,
    /** Connections opened, requests sent, and how many of them went out on a reused socket. */
    stats: () => ({ ...stats }),
    close: () => {
      for (const socket of open) socket.destroy();
    },
  };
}
