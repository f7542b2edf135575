// Slow clients and too many connections (issue 11, point 4). A request whose headers trickle in,
// or whose body does (Content-Length: 90000, then a byte at a time), held its socket for Node's
// default requestTimeout of 300 s, and any number of such sockets could be open at once. Now:
// headers within HTTP_HEADERS_TIMEOUT_MS, the whole request within HTTP_REQUEST_TIMEOUT_MS, else
// 408 with the JSON error body and the socket closed; at most HTTP_MAX_CONNECTIONS sockets, the
// next one closed at once. Idle keep-alive sockets are not requests: neither timeout touches them.
// Timed waits here are what is tested (the timeouts themselves), not synchronization.
import type { Server } from 'node:http';
import { connect, Socket } from 'node:net';
import { startTestApp, TestApp } from './helpers/test-app';

const HEADERS_TIMEOUT_MS = 1_000;
const REQUEST_TIMEOUT_MS = 2_000;
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Node looks for requests over time once a second (see applyConnectionLimits). */
const CHECK_INTERVAL_MS = 1_000;

interface Connection {
  socket: Socket;
  /** Everything received so far, as latin1 text. */
  received(): string;
  /** Resolves with the time the socket closed. */
  closed: Promise<number>;
  /** Resolves once one whole answer (headers and Content-Length bytes) is in, with its status line. */
  answer(): Promise<string>;
}

async function open(base: string): Promise<Connection> {
  const { hostname, port } = new URL(base);
  const socket = connect(Number(port), hostname);
  socket.on('error', () => undefined); // a refused connection may end in a reset; `closed` tells
  let text = '';
  let onData: (() => void) | undefined;
  socket.on('data', (chunk) => {
    text += chunk.toString('latin1');
    onData?.();
  });
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  await new Promise<void>((resolve, reject) => socket.once('connect', () => resolve()).once('error', reject));
  return {
    socket,
    received: () => text,
    closed,
    answer: () =>
      new Promise<string>((resolve) => {
        onData = () => {
          const end = text.indexOf('\r\n\r\n');
          const length = Number(/content-length: (\d+)/i.exec(text)?.[1]);
          if (end >= 0 && text.length >= end + 4 + length) {
            const status = text.slice(0, text.indexOf('\r\n'));
            text = text.slice(end + 4 + length);
            resolve(status);
          }
        };
        onData();
      }),
  };
}

/** Writes `piece` every `everyMs` until the socket closes. */
function trickle(connection: Connection, piece: string, everyMs: number): void {
  const timer = setInterval(() => connection.socket.writable && connection.socket.write(piece), everyMs);
  void connection.closed.then(() => clearInterval(timer));
}

/** Milliseconds from `since` until the socket closed; 'still open' after `limitMs` (it is then destroyed). */
async function closedWithin(c: Connection, since: number, limitMs: number): Promise<number | 'still open'> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<'still open'>((resolve) => (timer = setTimeout(() => resolve('still open'), since + limitMs - Date.now())));
  const outcome = await Promise.race([c.closed.then((at) => at - since), limit]);
  clearTimeout(timer);
  c.socket.destroy();
  return outcome;
}

/** The answer Node's timeout gave, split into status line, headers and parsed body. */
function parse(text: string) {
  const end = text.indexOf('\r\n\r\n');
  const [status, ...lines] = text.slice(0, end).split('\r\n');
  const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
  return { status, headers, body: JSON.parse(text.slice(end + 4)) };
}

const TIMED_OUT = {
  status: 'HTTP/1.1 408 Request Timeout',
  headers: expect.objectContaining({ 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', connection: 'close' }),
  body: { statusCode: 408, error: 'Request Timeout', message: 'The request was not received in time', code: 'REQUEST_TIMEOUT' },
};

describe('slow requests (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({
      HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS),
      HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      HTTP_KEEP_ALIVE_TIMEOUT_MS: String(KEEP_ALIVE_TIMEOUT_MS),
    });
  });
  afterAll(() => t.close());

  it('the configured values are the server\'s', () => {
    const server = t.app.getHttpServer() as Server;
    expect([server.headersTimeout, server.requestTimeout, server.keepAliveTimeout]).toEqual([HEADERS_TIMEOUT_MS, REQUEST_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS]);
  });

  it('headers still incomplete after the headers timeout: 408 with the JSON error body, socket closed', async () => {
    const c = await open(t.base);
    const started = Date.now();
    c.socket.write(`GET /api/v1/auth/me HTTP/1.1\r\nHost: 127.0.0.1\r\n`);
    trickle(c, 'X-Slow: a\r\n', 200);
    const took = await closedWithin(c, started, HEADERS_TIMEOUT_MS + CHECK_INTERVAL_MS + 1_000);
    expect(took).toEqual(expect.any(Number));
    expect(took as number).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 50);
    expect(parse(c.received())).toEqual(TIMED_OUT);
  });

  it('a body still incomplete after the request timeout (Content-Length 90000, a byte at a time): 408, socket closed', async () => {
    const c = await open(t.base);
    const started = Date.now();
    c.socket.write(`POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 90000\r\n\r\n{`);
    trickle(c, ' ', 200);
    const took = await closedWithin(c, started, REQUEST_TIMEOUT_MS + CHECK_INTERVAL_MS + 1_000);
    // Headers were complete at once: it is the request timeout, not the headers timeout, that ends it.
    expect(took).toEqual(expect.any(Number));
    expect(took as number).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    expect(parse(c.received())).toEqual(TIMED_OUT);
  });

  it('an idle keep-alive socket is no request: it outlives both timeouts and serves again, then closes at the keep-alive timeout', async () => {
    const c = await open(t.base);
    c.socket.write('GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(await c.answer()).toBe('HTTP/1.1 200 OK');
    const idle = REQUEST_TIMEOUT_MS + CHECK_INTERVAL_MS + 500;
    const stillOpen = await Promise.race([c.closed.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), idle))]);
    expect(stillOpen).toBe(true);
    c.socket.write('GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(await c.answer()).toBe('HTTP/1.1 200 OK');
    const idleSince = Date.now();
    const idleFor = (await c.closed) - idleSince;
    expect(idleFor).toBeGreaterThanOrEqual(KEEP_ALIVE_TIMEOUT_MS - 50);
    expect(idleFor).toBeLessThan(KEEP_ALIVE_TIMEOUT_MS + 2_000); // Node 20 keeps it up to 1 s longer (its keep-alive buffer)
  });
});

describe('connections per instance (HTTP_MAX_CONNECTIONS)', () => {
  const CAP = 3;
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ HTTP_MAX_CONNECTIONS: String(CAP) });
  });
  afterAll(() => t.close());

  it(`serves ${CAP} connections at once, closes the next one unanswered, and serves again once one is gone`, async () => {
    const server = t.app.getHttpServer() as Server;
    const accepted: Socket[] = [];
    server.on('connection', (socket: Socket) => accepted.push(socket));

    const held = await Promise.all(Array.from({ length: CAP }, () => open(t.base)));
    for (const c of held) {
      c.socket.write('GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      expect(await c.answer()).toBe('HTTP/1.1 200 OK');
    }

    const refused = await open(t.base);
    refused.socket.write('GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(await closedWithin(refused, Date.now(), 2_000)).toEqual(expect.any(Number));
    expect(refused.received()).toBe('');
    expect(accepted).toHaveLength(CAP);

    const serverSide = new Promise((resolve) => accepted[0].once('close', resolve));
    held[0].socket.destroy();
    await serverSide;
    const next = await open(t.base);
    next.socket.write('GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    expect(await next.answer()).toBe('HTTP/1.1 200 OK');
    for (const c of [...held, next]) c.socket.destroy();
  });
});
