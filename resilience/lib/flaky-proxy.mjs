// A TCP proxy in front of a service instance that makes the outcome of some requests unknown
// to the client, the way a network does:
//   cut-before  the client's request is dropped with its connection (never reaches the service)
//   cut-after   the service's answer is dropped with the connection (the change is committed,
//               the client does not know it)
//   delay       the answer is held longer than the client's timeout (the client gives up first)
// Each decision is taken per chunk (a request or an answer of this workload fits in one).
import net from 'node:net';
import { freePort } from '../../test/support/processes.cjs';
import { onCleanup } from '../../loadtest/lib/cleanup.mjs';

export async function startFlakyProxy({ target, rng, pCutBefore = 0.005, pCutAfter = 0.01, pDelay = 0.003, delayMs = 2600 }) {
  rng(); // drawn as when the port came from the seeded generator: a seed replays the same faults as before
  const port = await freePort();
  const stats = { connections: 0, cutBefore: 0, cutAfter: 0, delayed: 0, upstreamErrors: 0 };
  let enabled = true;
  const sockets = new Set();
  const server = net.createServer((client) => {
    stats.connections++;
    sockets.add(client);
    const upstream = net.connect({ host: '127.0.0.1', port: target.port });
    sockets.add(upstream);
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', () => (sockets.delete(client), upstream.destroy()));
    upstream.on('close', () => (sockets.delete(upstream), client.destroy()));
    client.on('error', kill);
    upstream.on('error', () => {
      stats.upstreamErrors++;
      kill();
    });
    client.on('data', (chunk) => {
      if (enabled && rng() < pCutBefore) {
        stats.cutBefore++;
        return kill();
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (enabled) {
        const r = rng();
        if (r < pCutAfter) {
          stats.cutAfter++;
          return kill();
        }
        if (r < pCutAfter + pDelay) {
          stats.delayed++;
          upstream.pause();
          setTimeout(() => {
            if (!client.destroyed) client.write(chunk);
            upstream.resume();
          }, delayMs);
          return;
        }
      }
      client.write(chunk);
    });
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  const close = () =>
    new Promise((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  onCleanup(`proxy for ${target.name}`, close);
  return {
    name: target.name,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    stats,
    setEnabled(v) {
      enabled = v;
    },
    close,
  };
}
