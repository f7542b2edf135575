// Minimal JSON-over-HTTP client on node:http with a keep-alive agent, so the
// load generator reuses connections and is never the bottleneck.
import http from 'node:http';
import https from 'node:https';

/** What request() resolves to: the body parsed when it is JSON, and its error `code` if any. */
export function answer(status, headers, text) {
  let body = text;
  if ((headers['content-type'] || '').includes('json')) {
    try {
      body = JSON.parse(text);
    } catch {
      /* keep text */
    }
  }
  const code = body && typeof body === 'object' ? body.code : undefined;
  return { status, body, code, headers };
}

const failure = (err) => ({ status: 0, error: err.message, errorCode: err.code ?? 'ERROR' });

export function createHttpClient(baseUrl, { maxSockets = 1024, timeoutMs = 60000 } = {}) {
  const base = new URL(baseUrl);
  const transport = base.protocol === 'https:' ? https : http;
  const agent = new transport.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets, scheduling: 'lifo' });

  /**
   * Resolves (never rejects) to { status, body, code, headers }, or { status: 0, error, errorCode }
   * when there is no HTTP response (network error or timeout).
   */
  function request(method, path, { token, body, headers = {} } = {}) {
    return new Promise((resolve) => {
      const payload = body === undefined ? null : Buffer.from(JSON.stringify(body));
      const h = { accept: 'application/json', ...headers };
      if (payload) {
        h['content-type'] = 'application/json';
        h['content-length'] = payload.length;
      }
      if (token) h.authorization = `Bearer ${token}`;
      const req = transport.request(
        { protocol: base.protocol, hostname: base.hostname, port: base.port, path, method, headers: h, agent },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve(answer(res.statusCode, res.headers, Buffer.concat(chunks).toString('utf8'))));
          res.on('error', (err) => resolve(failure(err)));
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`timeout after ${timeoutMs} ms`), { code: 'TIMEOUT' })));
      req.on('error', (err) => resolve(failure(err)));
      if (payload) req.write(payload);
      req.end();
    });
  }

  return { request, baseUrl: base.origin, close: () => agent.destroy() };
}
