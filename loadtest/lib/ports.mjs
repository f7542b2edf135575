import net from 'node:net';

function isFree(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/** First free TCP port at or above `from` (never 3000, 5432 or 54329). */
export async function findFreePort(from) {
  const reserved = new Set([3000, 5432, 54329]);
  for (let port = from; port < from + 500; port++) {
    if (!reserved.has(port) && (await isFree(port))) return port;
  }
  throw new Error(`no free port in ${from}..${from + 499}`);
}
