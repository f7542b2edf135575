// Follows the change feed (SPEC §11): every event of the organization exactly once, oldest first,
// resuming from a stored cursor. Prints one line per event: "<occurredAt> <type> <id>".
// Usage (service running):
//   BASE=http://127.0.0.1:3000 API_KEY=ul_... node docs/examples/follow-feed.mjs            (an ADMIN or VIEWER API key)
//   BASE=... EMAIL=... PASSWORD=... CURSOR_FILE=feed.cursor node docs/examples/follow-feed.mjs --until-caught-up
// CURSOR_FILE (default ./feed.cursor) holds nextCursor: it is written only after a page's events are
// handled, so a restart resumes where it stopped. --until-caught-up exits at the first short page.
// CI runs it: test/docs-examples-events.e2e-spec.ts.
import { readFile, rename, writeFile } from 'node:fs/promises';

const BASE = process.env.BASE ?? 'http://127.0.0.1:3000';
const CURSOR_FILE = process.env.CURSOR_FILE ?? 'feed.cursor';
const LIMIT = Number(process.env.LIMIT ?? 100); // events per page, 1..100
const POLL_MS = Number(process.env.POLL_MS ?? 2000);
const untilCaughtUp = process.argv.includes('--until-caught-up');

async function login() {
  if (process.env.API_KEY) return process.env.API_KEY; // machine clients: no password, no expiry
  const res = await fetch(`${BASE}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: process.env.EMAIL, password: process.env.PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`login: ${res.status} ${await res.text()}`);
  return (await res.json()).accessToken;
}

let token = await login();
let cursor = (await readFile(CURSOR_FILE, 'utf8').catch(() => '')).trim(); // '' = from the first event
for (;;) {
  const url = `${BASE}/api/v1/events?limit=${LIMIT}${cursor ? `&after=${encodeURIComponent(cursor)}` : ''}`;
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  if (res.status === 401 && !process.env.API_KEY) { token = await login(); continue; } // access token expired
  if (res.status !== 200) throw new Error(`GET /events: ${res.status} ${await res.text()}`);
  const { items, nextCursor } = await res.json();
  for (const event of items) console.log(`${event.occurredAt} ${event.type} ${event.id}`); // handle the event here
  await writeFile(`${CURSOR_FILE}.tmp`, nextCursor); // then store the cursor (atomically)
  await rename(`${CURSOR_FILE}.tmp`, CURSOR_FILE);
  cursor = nextCursor;
  if (items.length < LIMIT) { // a short page: caught up for now
    if (untilCaughtUp) break;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
