import { createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now, other than `avoid`: ports chosen but
 * not yet bound (the service's own HTTP port while its embedded database starts) look free too,
 * and the kernel hands a just-released port out again.
 */
export async function freePort(avoid: number[] = [], probe: () => Promise<number> = anyFreePort): Promise<number> {
  for (;;) {
    const port = await probe();
    if (!avoid.includes(port)) return port;
  }
}

function anyFreePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}
