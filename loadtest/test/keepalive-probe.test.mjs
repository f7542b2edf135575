import test from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import { probeIdleClose } from '../lib/keepalive-probe.mjs';

async function withServer(keepAliveTimeout, fn) {
  const server = http.createServer((req, res) => res.end('ok'));
  server.keepAliveTimeout = keepAliveTimeout;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    await fn(`http://127.0.0.1:${server.address().port}`);
  } finally {
    server.close();
    server.closeAllConnections();
  }
}

test('the probe sees a server close its idle keep-alive socket, with the hint it sent', async () => {
  await withServer(1000, async (url) => {
    const probe = await probeIdleClose(url, { maxWaitMs: 30000 });
    assert.equal(probe.status, 200);
    assert.equal(probe.keepAliveHeader, 'timeout=1');
    assert.equal(probe.stillOpenAfterMs, null);
    assert.ok(probe.closedAfterMs !== null && probe.closedAfterMs < 30000, `closed after ${probe.closedAfterMs} ms`);
  });
});

test('a socket the server keeps longer than maxWaitMs is reported as still open', async () => {
  await withServer(0, async (url) => {
    assert.deepEqual(await probeIdleClose(url, { maxWaitMs: 200 }), { status: 200, keepAliveHeader: null, closedAfterMs: null, stillOpenAfterMs: 200 });
  });
});
