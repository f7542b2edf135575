// SPEC §11 webhooks under load (issue 15 point 7): a receiver on 127.0.0.1 that verifies every
// delivery's signature over the raw body, counts each event once (a redelivery is a duplicate,
// allowed: at-least-once), and measures the delivery lag — arrival minus the event's occurredAt.
import http from 'node:http';
import crypto from 'node:crypto';
import { newHistogram, recordMs, summarize } from './latency.mjs';

/** Every event type of SPEC §11 (a webhook subscribed to all of them). */
export const ALL_EVENT_TYPES = [
  'reservation.created', 'reservation.modified', 'reservation.released', 'reservation.consumed', 'reservation.expired',
  'authorization.created', 'authorization.updated', 'authorization.low_units', 'authorization.exhausted',
  'authorization.expiring', 'authorization.expired', 'webhook_endpoint.disabled',
];

const validSignature = (header, secret, raw) => {
  const t = /(?:^|,)t=(\d+)/.exec(header ?? '')?.[1];
  if (!t) return false;
  const expected = crypto.createHmac('sha256', secret).update(`${t}.`).update(raw).digest();
  return [...(header ?? '').matchAll(/(?:^|,)v1=([0-9a-f]{64})/g)].some(([, hex]) => crypto.timingSafeEqual(Buffer.from(hex, 'hex'), expected));
};

export async function startWebhookReceiver() {
  const secrets = new Map(); // path → secret
  const seen = new Set(); // event ids
  const lag = newHistogram(); // first delivery of each event
  let deliveries = 0;
  let badSignatures = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const arrived = Date.now();
      const secret = secrets.get(req.url);
      if (!secret || !validSignature(req.headers['unit-ledger-signature'], secret, raw)) {
        badSignatures++;
        res.writeHead(400).end();
        return;
      }
      deliveries++;
      const event = JSON.parse(raw.toString('utf8'));
      if (!seen.has(event.id)) {
        seen.add(event.id);
        recordMs(lag, Math.max(0, arrived - Date.parse(event.occurredAt)));
      }
      res.writeHead(204).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    /** A URL of its own for one endpoint, whose secret is given once the endpoint is registered. */
    url: (name) => `http://127.0.0.1:${port}/hooks/${name}`,
    secret: (name, value) => secrets.set(`/hooks/${name}`, value),
    has: (id) => seen.has(id),
    summary: () => ({ events: seen.size, deliveries, duplicates: deliveries - seen.size, badSignatures, lagMs: summarize(lag) }),
    stop: () => new Promise((resolve) => server.close(resolve)),
  };
}
