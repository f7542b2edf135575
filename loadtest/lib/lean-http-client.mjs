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

/** Idle sockets older than this are not reused: the server closes them after its keep-alive timeout (5 s by default). */
const MAX_IDLE_MS = 2000;

export function createLeanHttpClient(baseUrl, { timeoutMs = 60000 } = {}) {
  const base = new URL(baseUrl);
  if (base.protocol !== 'http:') return createHttpClient(baseUrl, { timeoutMs });
  const port = Number(base.port || 80);
  const hostHeader = base.host;
  const idle = [];
  const open = new Set();

  function connect() {
    const socket = net.connect({ host: base.hostname, port, noDelay: true });
    open.add(socket);
    socket.on('close', () => {
      open.delete(socket);
      const i = idle.indexOf(socket);
      if (i >= 0) idle.splice(i, 1);
    });
    socket.on('error', () => {}); // reported through the request that owns the socket
    return socket;
  }

  /** Resolves (never rejects) to { status, body, code, headers, error }; status 0: no HTTP response. */
  function request(method, path, { token, body, headers = {} } = {}) {
    return new Promise((resolve) => {
      const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
      let head = `${method} ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\naccept: application/json\r\n`;
      if (payload) head += `content-type: application/json\r\ncontent-length: ${payload.length}\r\n`;
      if (token) head += `authorization: Bearer ${token}\r\n`;
      for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
      head += '\r\n';
      let socket = idle.pop();
      while (socket && Date.now() - socket.idleSince > MAX_IDLE_MS) {
        socket.destroy();
        socket = idle.pop();
      }
      socket ??= connect();
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
      const onData = (chunk) => {
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        let parsed;
        try {
          parsed = parseResponse(buf, method);
        } catch (err) {
          return finish({ status: 0, error: err.message }, false);
        }
        if (!parsed) return;
        const keep = parsed.rest.length === 0 && !/\bclose\b/i.test(parsed.headers.connection ?? '');
        finish(answer(parsed.status, parsed.headers, parsed.body.toString('utf8')), keep);
      };
      const onClose = () => finish({ status: 0, error: 'connection closed before a complete response' }, false);
      const onError = (err) => finish({ status: 0, error: err.message }, false);
      const onTimeout = () => finish({ status: 0, error: `timeout after ${timeoutMs} ms` }, false);
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
    close: () => {
      for (const socket of open) socket.destroy();
    },
  };
}
