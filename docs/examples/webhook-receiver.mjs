// A webhook receiver (SPEC §11): verifies Unit-Ledger-Signature over the RAW body before trusting
// anything in it, answers 204 to a verified delivery and 400 to anything else. Deliveries are
// at-least-once: the same event can arrive again (a retry after a lost answer), so it is handled
// once per Unit-Ledger-Event-Id. Prints "listening on <url>", then "verified <type> <id>" per event.
// Usage: WEBHOOK_SECRET=whsec_... PORT=8080 node docs/examples/webhook-receiver.mjs
// (the secret is the one POST /api/v1/webhooks answered with, once). CI runs it: test/docs-examples-events.e2e-spec.ts.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';

const SECRET = process.env.WEBHOOK_SECRET;
if (!SECRET) throw new Error('WEBHOOK_SECRET is required');
const TOLERANCE_SECONDS = 300; // refuse deliveries signed more than 5 minutes away from our clock (replays)
const seen = new Set(); // event ids already handled (keep them in your database in real life)

function verify(header, rawBody) {
  const parts = (header ?? '').split(',').map((part) => part.trim().split('='));
  const t = parts.find(([key]) => key === 't')?.[1];
  if (!/^\d+$/.test(t ?? '') || Math.abs(Date.now() / 1000 - Number(t)) > TOLERANCE_SECONDS) return false;
  const expected = createHmac('sha256', SECRET).update(`${t}.`).update(rawBody).digest();
  return parts.some(([key, value]) => key === 'v1' && /^[0-9a-f]{64}$/i.test(value) && timingSafeEqual(Buffer.from(value, 'hex'), expected));
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const rawBody = Buffer.concat(chunks); // the bytes as sent: never re-serialize parsed JSON to verify
    if (req.method !== 'POST' || !verify(req.headers['unit-ledger-signature'], rawBody)) {
      res.writeHead(400).end('bad signature');
      return;
    }
    const event = JSON.parse(rawBody.toString('utf8'));
    if (!seen.has(event.id)) {
      seen.add(event.id);
      console.log(`verified ${event.type} ${event.id}`); // handle the event here
    }
    res.writeHead(204).end();
  });
});
server.listen(Number(process.env.PORT ?? 8080), '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
