import test from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { createLeanHttpClient, parseResponse } from '../lib/lean-http-client.mjs';

test('parseResponse: Content-Length body, incomplete input, a following response', () => {
  const one = 'HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}';
  assert.equal(parseResponse(Buffer.from(one.slice(0, -1)), 'POST'), null);
  const parsed = parseResponse(Buffer.from(`${one}HTTP/1.1`), 'POST');
  assert.equal(parsed.status, 409);
  assert.equal(parsed.headers['content-type'], 'application/json');
  assert.equal(parsed.body.toString(), '{}');
  assert.equal(parsed.rest.toString(), 'HTTP/1.1');
});

test('parseResponse: chunked bodies, HEAD and 204 without a body, repeated headers', () => {
  const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n';
  for (let cut = 0; cut < chunked.length; cut++) {
    assert.equal(parseResponse(Buffer.from(chunked.slice(0, cut)), 'GET'), null, `cut at ${cut}`);
  }
  assert.equal(parseResponse(Buffer.from(chunked), 'GET').body.toString(), 'abcde');
  assert.equal(parseResponse(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n'), 'HEAD').body.length, 0);
  assert.equal(parseResponse(Buffer.from('HTTP/1.1 204 No Content\r\n\r\n'), 'DELETE').status, 204);
  const twice = parseResponse(Buffer.from('HTTP/1.1 200 OK\r\nVary: a\r\nVary: b\r\nContent-Length: 0\r\n\r\n'), 'GET');
  assert.equal(twice.headers.vary, 'a, b');
  assert.throws(() => parseResponse(Buffer.from('garbage\r\n\r\n'), 'GET'), /malformed status line/);
});

async function withServer(handler, fn) {
  const server = http.createServer(handler);
  const sockets = new Set();
  server.on('connection', (s) => sockets.add(s));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = createLeanHttpClient(`http://127.0.0.1:${server.address().port}`, { timeoutMs: 300 });
  try {
    await fn(client, sockets);
  } finally {
    client.close();
    server.close();
    server.closeAllConnections();
  }
}

test('sends method, path, token and JSON body; parses JSON answers with their code; reuses the connection', async () => {
  const seen = [];
  await withServer(
    (req, res) => {
      let text = '';
      req.on('data', (c) => (text += c));
      req.on('end', () => {
        seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body: text, key: req.headers['idempotency-key'] });
        res.writeHead(409, { 'content-type': 'application/json; charset=utf-8' });
        res.end(JSON.stringify({ code: 'INSUFFICIENT_UNITS', message: 'no' }));
      });
    },
    async (client, sockets) => {
      for (let i = 0; i < 3; i++) {
        const res = await client.request('POST', `/reserve/${i}`, { token: 't', body: { units: i }, headers: { 'idempotency-key': `k${i}` } });
        assert.equal(res.status, 409);
        assert.equal(res.code, 'INSUFFICIENT_UNITS');
        assert.deepEqual(res.body, { code: 'INSUFFICIENT_UNITS', message: 'no' });
      }
      assert.deepEqual(seen, [0, 1, 2].map((i) => ({ method: 'POST', url: `/reserve/${i}`, auth: 'Bearer t', body: `{"units":${i}}`, key: `k${i}` })));
      assert.equal(sockets.size, 1, 'one keep-alive connection for sequential requests');
    },
  );
});

test('a connection closed mid-response, a timeout and a refused connection answer status 0, never throw', async () => {
  await withServer(
    (req, res) => {
      if (req.url === '/cut') {
        res.writeHead(200, { 'content-length': '10' });
        res.write('abc');
        setImmediate(() => res.socket.destroy());
      } else if (req.url === '/slow') {
        // never answers: the client's 300 ms timeout must end the request
      } else {
        res.end('ok');
      }
    },
    async (client) => {
      assert.deepEqual(await client.request('GET', '/cut'), { status: 0, error: 'connection closed before a complete response', errorCode: 'CLOSED_BEFORE_RESPONSE', reusedSocket: false, idleMs: null });
      assert.deepEqual(await client.request('GET', '/slow'), { status: 0, error: 'timeout after 300 ms', errorCode: 'TIMEOUT', reusedSocket: false, idleMs: null });
      const after = await client.request('GET', '/');
      assert.equal(after.status, 200, 'a fresh connection replaces the failed ones');
      assert.equal(after.body, 'ok');
    },
  );
  const server = http.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  const res = await createLeanHttpClient(`http://127.0.0.1:${port}`).request('GET', '/');
  assert.equal(res.status, 0);
  assert.equal(res.errorCode, 'ECONNREFUSED');
  assert.equal(res.reusedSocket, false);
});

// The soak's failure mode: the server drops a kept-alive socket just as the client sends the next
// request on it. Here the server resets the connection as soon as the second request arrives.
test('a reset on a reused keep-alive socket is answered as a transport error, not retried', async () => {
  const OK = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok';
  let connections = 0;
  const server = net.createServer((socket) => {
    const connection = ++connections;
    let requests = 0;
    socket.on('data', () => {
      requests++;
      if (connection === 1 && requests === 2) socket.resetAndDestroy();
      else socket.write(OK);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = createLeanHttpClient(`http://127.0.0.1:${server.address().port}`, { timeoutMs: 2000 });
  try {
    assert.equal((await client.request('GET', '/first')).status, 200);
    const failed = await client.request('POST', '/second', { body: { units: 5 } });
    assert.equal(failed.status, 0);
    assert.equal(failed.errorCode, 'ECONNRESET');
    assert.equal(failed.reusedSocket, true);
    assert.equal(typeof failed.idleMs, 'number');
    assert.equal(connections, 1, 'the failed request was not sent again on a new connection');
    assert.deepEqual(client.stats(), { connections: 1, requests: 2, onReusedSocket: 1 });
    assert.equal((await client.request('GET', '/third')).status, 200, 'the next request opens a new connection');
    assert.deepEqual(client.stats(), { connections: 2, requests: 3, onReusedSocket: 1 });
  } finally {
    client.close();
    server.close();
  }
});

test('an idle socket older than maxIdleMs is closed, not reused (a negative limit: never reuse)', async () => {
  for (const [maxIdleMs, connections] of [[60000, 1], [-1, 3]]) {
    const server = http.createServer((req, res) => res.end('ok'));
    let opened = 0;
    server.on('connection', () => opened++);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = createLeanHttpClient(`http://127.0.0.1:${server.address().port}`, { maxIdleMs });
    for (let i = 0; i < 3; i++) assert.equal((await client.request('GET', '/')).status, 200);
    assert.deepEqual(client.stats(), { connections, requests: 3, onReusedSocket: 3 - connections });
    assert.equal(opened, connections);
    client.close();
    server.close();
    server.closeAllConnections();
  }
});
