import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { postWebhook } from './webhook-transport';
import { EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, signatureHeader, verifySignature } from './webhook-signature';
import { checkWebhookUrl, CheckedWebhookUrl, type WebhookResolver } from './webhook-url';

// Real requests, to receivers on 127.0.0.1 only; names are answered by a stub resolver.

interface Received {
  method?: string;
  url?: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server;
let port: number;
const received: Received[] = [];
let answer: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(204).end();

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      answer(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  received.length = 0;
  answer = (_req, res) => res.writeHead(204).end();
});

const loopback = async (path: string, resolve: WebhookResolver = async () => [{ address: '127.0.0.1', family: 4 }]) => {
  const check = await checkWebhookUrl(`http://receiver.example.test:${port}${path}`, { allowHttpLoopback: true, resolve });
  if (!check.ok) throw new Error(check.detail);
  return check;
};

describe('postWebhook', () => {
  it('POSTs the signed body with the event headers; the receiver verifies the signature over the raw body', async () => {
    const secret = 'whsec_transport_test_secret_0123456789';
    const body = JSON.stringify({ id: 'evt_1', type: 'reservation.created', data: { units: 4, note: 'café' } });
    const t = Math.floor(Date.now() / 1000);
    const result = await postWebhook({
      check: await loopback('/hook?x=1'),
      body,
      headers: { [EVENT_ID_HEADER]: 'evt_1', [EVENT_TYPE_HEADER]: 'reservation.created', [SIGNATURE_HEADER]: signatureHeader(secret, t, body) },
    });
    expect(result).toEqual({ delivered: true, status: 204, durationMs: expect.any(Number) });
    expect(received).toHaveLength(1);
    const [got] = received;
    expect(got).toMatchObject({ method: 'POST', url: '/hook?x=1', body });
    expect(got.headers).toMatchObject({
      host: `receiver.example.test:${port}`,
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': 'Unit-Ledger-Webhooks/1',
      'unit-ledger-event-id': 'evt_1',
      'unit-ledger-event-type': 'reservation.created',
    });
    expect(verifySignature(got.headers['unit-ledger-signature'] as string, secret, got.body)).toEqual({ ok: true, timestamp: t });
  });

  it('connects to the checked address even when DNS now answers something else (no second lookup)', async () => {
    let calls = 0;
    const check = await loopback('/pinned', async () => (calls++ === 0 ? [{ address: '127.0.0.1', family: 4 }] : [{ address: '10.0.0.5', family: 4 }]));
    expect(await postWebhook({ check, body: '{}', headers: {} })).toMatchObject({ delivered: true, status: 204 });
    expect(calls).toBe(1);
  });

  it.each([200, 201, 202, 299])('%i is a delivery', async (status) => {
    answer = (_req, res) => res.writeHead(status).end('ok');
    expect(await postWebhook({ check: await loopback('/'), body: '{}', headers: {} })).toMatchObject({ delivered: true, status });
  });

  it.each([301, 302, 307, 308, 400, 404, 410, 429, 500, 503])('%i is not a delivery; a redirect is not followed', async (status) => {
    answer = (_req, res) => res.writeHead(status, { location: `http://127.0.0.1:${port}/elsewhere` }).end();
    expect(await postWebhook({ check: await loopback('/first'), body: '{}', headers: {} })).toMatchObject({ delivered: false, status });
    expect(received.map((r) => r.url)).toEqual(['/first']);
  });

  it('a receiver that does not answer within the deadline: ETIMEDOUT', async () => {
    answer = () => undefined; // never answers
    const result = await postWebhook({ check: await loopback('/slow'), body: '{}', headers: {}, timeoutMs: 300 });
    expect(result).toEqual({ delivered: false, status: null, error: 'ETIMEDOUT', durationMs: expect.any(Number) });
    expect(result.durationMs).toBeGreaterThanOrEqual(290);
  });

  it('nobody listening: ECONNREFUSED', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const check = await checkWebhookUrl(`http://127.0.0.1:${closedPort}/`, { allowHttpLoopback: true, resolve: async () => [] });
    expect(await postWebhook({ check: check as CheckedWebhookUrl, body: '{}', headers: {} })).toEqual({
      delivered: false,
      status: null,
      error: 'ECONNREFUSED',
      durationMs: expect.any(Number),
    });
  });

  it('a 2xx whose body never ends is a delivery at once; the connection is cut at the deadline', async () => {
    let serverSide: Promise<void> = Promise.resolve();
    answer = (req, res) => {
      serverSide = new Promise((resolve) => req.socket.once('close', () => resolve()));
      res.writeHead(200);
      res.write('partial');
    };
    const result = await postWebhook({ check: await loopback('/endless'), body: '{}', headers: {}, timeoutMs: 300 });
    expect(result).toMatchObject({ delivered: true, status: 200 });
    await serverSide; // resolves only when the client hung up
  });

  it('a header value Node refuses: an error result, nothing sent', async () => {
    const result = await postWebhook({ check: await loopback('/bad-header'), body: '{}', headers: { 'Unit-Ledger-Event-Type': 'x\r\ny: z' } });
    expect(result).toEqual({ delivered: false, status: null, error: 'ERR_INVALID_CHAR', durationMs: expect.any(Number) });
    expect(received).toEqual([]);
  });

  it('a large answer body is not read to its end', async () => {
    answer = (_req, res) => {
      res.writeHead(200);
      res.write(Buffer.alloc(1024 * 1024, 'a'));
      res.end();
    };
    expect(await postWebhook({ check: await loopback('/big'), body: '{}', headers: {} })).toMatchObject({ delivered: true, status: 200 });
  });
});
