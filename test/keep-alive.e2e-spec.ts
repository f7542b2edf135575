import { connect, Socket } from 'node:net';
import { startTestApp, TestApp } from './helpers/test-app';

/** A raw keep-alive connection (no client-side pool that might close it on its own). */
async function openConnection(base: string) {
  const { hostname, port } = new URL(base);
  const socket: Socket = connect(Number(port), hostname);
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = '';
  let waiting: (() => void) | undefined;
  socket.on('data', (chunk) => {
    received += chunk.toString('latin1');
    waiting?.();
  });
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  return {
    closed,
    /** Sends GET /health/live and resolves with the status line once the whole answer is in. */
    async live(): Promise<string> {
      received = '';
      socket.write('GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      await new Promise<void>((resolve) => {
        waiting = () => {
          const end = received.indexOf('\r\n\r\n');
          const length = Number(/content-length: (\d+)/i.exec(received)?.[1]);
          if (end >= 0 && received.length >= end + 4 + length) resolve();
        };
      });
      return received.slice(0, received.indexOf('\r\n'));
    },
    destroy: () => socket.destroy(),
  };
}

/**
 * An idle keep-alive socket must outlive the idle timeout of a load balancer in front (60 s is
 * common): a server that closes it first races the balancer reusing it, and the loser is a reset
 * request. Node's own default is 5 s.
 */
describe('keep-alive sockets (HTTP_KEEP_ALIVE_TIMEOUT_MS)', () => {
  let apps: TestApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.map((a) => a.close()));
    apps = [];
  });

  it('by default keeps an idle socket 65 s (the headers and request timeouts apply to requests only): after 6 s idle it still serves', async () => {
    const app = await startTestApp();
    apps.push(app);
    const server = app.app.getHttpServer();
    expect([server.keepAliveTimeout, server.headersTimeout, server.requestTimeout, server.maxConnections]).toEqual([65_000, 10_000, 30_000, 1_000]);

    const connection = await openConnection(app.base);
    expect(await connection.live()).toBe('HTTP/1.1 200 OK');
    const stillOpen = await Promise.race([connection.closed.then(() => false), new Promise<boolean>((r) => setTimeout(() => r(true), 6_000))]);
    expect(stillOpen).toBe(true);
    expect(await connection.live()).toBe('HTTP/1.1 200 OK');
    connection.destroy();
  });

  it('closes an idle socket after the configured time, not before', async () => {
    const app = await startTestApp({ HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000' });
    apps.push(app);
    const connection = await openConnection(app.base);
    expect(await connection.live()).toBe('HTTP/1.1 200 OK');
    const idleSince = Date.now();
    const idleFor = (await connection.closed) - idleSince;
    expect(idleFor).toBeGreaterThanOrEqual(950);
    expect(idleFor).toBeLessThan(5_000);
  });
});
