// Shared by test/fuzz.e2e-spec.ts and test/attacks.e2e-spec.ts: a raw HTTP/1.1 client (bytes
// exactly as given: no URL normalisation, no header trimming, chunked bodies), a fingerprint of
// every table (for "a rejected request wrote nothing"), the SPEC §5 error-body check, a JWT
// forger, and fast-check arbitraries of hostile JSON values.
import { createHmac } from 'node:crypto';
import { connect } from 'node:net';
import fc from 'fast-check';
import { Client } from 'pg';

// ---------------------------------------------------------------------------------------------
// fast-check settings: one fixed seed for the whole run (override with FUZZ_SEED to explore, and
// FUZZ_SCALE to multiply every numRuns). fast-check prints the seed, the path and the shrunk
// counterexample of a failing property; re-run with FUZZ_SEED=<seed> to reproduce it.
export const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20_261_127);
const FUZZ_SCALE = Number(process.env.FUZZ_SCALE ?? 1);
export const fuzzParams = (numRuns: number): fc.Parameters<unknown> => ({
  seed: FUZZ_SEED,
  numRuns: Math.max(1, Math.round(numRuns * FUZZ_SCALE)),
  // Shrinking an HTTP property costs one request per step: bounded, but keep it finite.
  interruptAfterTimeLimit: 60_000,
  markInterruptAsFailure: false,
});

// ---------------------------------------------------------------------------------------------
export interface RawResult {
  status: number;
  headers: Record<string, string>;
  text: string;
  body: any;
}

export interface RawRequest {
  method: string;
  /** The request target, sent byte for byte (may contain '..', '%', anything but CR/LF). */
  path: string;
  /** Header lines as name/value pairs, sent as given (duplicates allowed). */
  headers?: [string, string | Buffer][];
  body?: string | Buffer;
  /** Transfer-Encoding: chunked instead of Content-Length. */
  chunked?: boolean;
}

function decodeChunked(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at < data.length) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd < 0) break;
    const size = parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!size) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

/** One request on a fresh connection (Connection: close); resolves with the parsed answer. */
export function rawHttp(base: string, req: RawRequest): Promise<RawResult> {
  const url = new URL(base);
  const body = req.body === undefined ? undefined : Buffer.isBuffer(req.body) ? req.body : Buffer.from(req.body, 'utf8');
  const head: Buffer[] = [Buffer.from(`${req.method} ${req.path} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: close\r\n`, 'latin1')];
  for (const [name, value] of req.headers ?? []) {
    head.push(Buffer.concat([Buffer.from(`${name}: `, 'latin1'), Buffer.isBuffer(value) ? value : Buffer.from(value, 'latin1'), Buffer.from('\r\n')]));
  }
  let payload: Buffer = Buffer.alloc(0);
  if (body !== undefined) {
    if (req.chunked) {
      head.push(Buffer.from('Transfer-Encoding: chunked\r\n'));
      const chunks: Buffer[] = [];
      for (let i = 0; i < body.length; i += 16_384) {
        const part = body.subarray(i, i + 16_384);
        chunks.push(Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n'));
      }
      chunks.push(Buffer.from('0\r\n\r\n'));
      payload = Buffer.concat(chunks);
    } else {
      head.push(Buffer.from(`Content-Length: ${body.length}\r\n`));
      payload = body;
    }
  }
  head.push(Buffer.from('\r\n'));
  const bytes = Buffer.concat([...head, payload]);

  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const received: Buffer[] = [];
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      const all = Buffer.concat(received);
      const split = all.indexOf('\r\n\r\n');
      if (split < 0) return reject(new Error(`no HTTP answer (${all.length} bytes): ${all.toString('latin1').slice(0, 200)}`));
      const lines = all.subarray(0, split).toString('latin1').split('\r\n');
      const status = Number(lines[0].split(' ')[1]);
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      let rest: Buffer = all.subarray(split + 4);
      if (/chunked/i.test(headers['transfer-encoding'] ?? '')) rest = decodeChunked(rest);
      else if (headers['content-length'] !== undefined) rest = rest.subarray(0, Number(headers['content-length']));
      const text = rest.toString('utf8');
      let parsed: any;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      resolve({ status, headers, text, body: parsed });
    };
    socket.on('data', (d) => received.push(d));
    socket.on('end', finish);
    socket.on('close', finish);
    // The server may answer (413) and close before reading a large body: EPIPE/ECONNRESET after an answer is fine.
    socket.on('error', () => (received.length ? finish() : settled || ((settled = true), reject(new Error('connection failed')))));
    socket.setTimeout(30_000, () => socket.destroy());
    socket.write(bytes);
  });
}

// ---------------------------------------------------------------------------------------------
/** Every row of every table the API writes, as one comparable string. */
export async function fingerprint(sql: Client): Promise<string> {
  const digest = (table: string) =>
    `(select '${table}=' || count(*)::int || ':' || coalesce(md5(string_agg(x::text, '|' order by x::text)), '') from ${table} x)`;
  const tables = ['organizations', 'users', 'authorizations', 'reservations', 'ledger_entries', 'idempotency_keys', 'events', 'webhook_endpoints'];
  const { rows } = await sql.query(`select ${tables.map(digest).join(" || ' ' || ")} as fp`);
  return rows[0].fp as string;
}

export const UPPER_SNAKE = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/;

/** SPEC §5: {statusCode, error, message, code}, code UPPER_SNAKE, statusCode = the HTTP status, no stack trace. */
export function expectApiErrorBody(res: { status: number; body: any; text: string }): void {
  expect({ status: res.status, body: res.body }).toEqual({
    status: res.status,
    body: expect.objectContaining({ statusCode: res.status, error: expect.any(String), message: expect.any(String), code: expect.stringMatching(UPPER_SNAKE) }),
  });
  expect(res.text).not.toMatch(/\bat .+\.(ts|js):\d+|node_modules|QueryFailedError|DriverException|\bSELECT\b.+\bFROM\b|\bINSERT INTO\b/i);
}

/** The field names a 400 VALIDATION_FAILED reports (top level: "a.b" → "a"). */
export const reportedFields = (body: any): string[] =>
  Array.isArray(body?.fields) ? body.fields.map((f: { field: string }) => String(f.field).split('.')[0]) : [];

// ---------------------------------------------------------------------------------------------
export const JWT_ISSUER = 'unit-ledger';
export const JWT_AUDIENCE = 'unit-ledger-api';
const b64url = (input: string | Buffer) => Buffer.from(input).toString('base64url');

/** A JWT by hand: header and payload as given, HMAC signature with the named hash (or none). */
export function forgeJwt(header: object, payload: object, key: string | null, hash: 'sha256' | 'sha384' | 'sha512' = 'sha256'): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${key === null ? '' : createHmac(hash, key).update(input).digest('base64url')}`;
}

// ---------------------------------------------------------------------------------------------
// Hostile JSON values. Each carries the raw JSON text sent (so that 1e400, -0, huge integers and
// duplicate keys reach the server as written) and the value JSON.parse gives the server.
export interface Hostile {
  raw: string;
  value: unknown;
}

export const hv = (value: unknown): Hostile => ({ raw: JSON.stringify(value), value });
const rawNumber = (raw: string): Hostile => ({ raw, value: JSON.parse(raw) });

export const SQL_PAYLOADS = [
  "' OR '1'='1",
  "'; DROP TABLE authorizations; --",
  '1; DELETE FROM ledger_entries',
  "admin'--",
  "' UNION SELECT password_hash FROM users --",
  '%; select pg_sleep(5); --',
  '$1',
  '\\x27',
  "x' AND 1=(SELECT COUNT(*) FROM users) AND 'a'='a",
];
export const SCRIPT_PAYLOADS = [
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  'javascript:alert(1)',
  '{{7*7}}',
  '${7*7}',
  '../../../../etc/passwd',
  '%00',
  '\u202e\u0645',
  '{"$ne": null}',
];

const NOT_STORABLE = /[\u0000\uFE0E\uFE0F]/;
/**
 * Text PostgreSQL can store and whose length class-validator counts like char_length: no NUL, no
 * lone surrogates (fast-check's 'binary' unit makes none), no variation selectors. Those three
 * have properties of their own in the fuzz file.
 */
export const storableText = (constraints: { minLength?: number; maxLength: number }) =>
  fc
    .oneof(
      { weight: 3, arbitrary: fc.string({ unit: 'binary', ...constraints }) },
      { weight: 2, arbitrary: fc.string({ unit: 'grapheme', ...constraints }) },
      { weight: 2, arbitrary: fc.string({ ...constraints }) },
      { weight: 1, arbitrary: fc.constantFrom(...SQL_PAYLOADS, ...SCRIPT_PAYLOADS) },
    )
    .map((s) => s.replace(/[\u0000\uFE0E\uFE0F]/g, 'x'))
    .filter((s) => !NOT_STORABLE.test(s) && [...s].length >= (constraints.minLength ?? 0) && [...s].length <= constraints.maxLength);

const nestedObject: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant({}),
  fc.constant({ $ne: '' }),
  fc.constant({ $gt: '' }),
  fc.dictionary(fc.string({ maxLength: 6 }).filter((k) => !['__proto__', 'constructor', 'prototype'].includes(k)), fc.jsonValue({ maxDepth: 2 }), {
    maxKeys: 3,
  }),
);

/** Any JSON value a client could send in place of a scalar field. */
export const hostileValue: fc.Arbitrary<Hostile> = fc.oneof(
  // numbers as strings
  fc.integer({ min: -1_000_000, max: 2_000_000 }).map((n) => hv(String(n))),
  fc.constantFrom('5', ' 5', '5 ', '0x10', '1e3', '+1', '-0', 'NaN', 'Infinity', '').map(hv),
  // floats, huge and negative numbers, zero
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) => !Number.isInteger(x)).map(hv),
  fc.constantFrom('1e400', '-1e400', '123456789012345678901234567890', '9007199254740993', '-0', '1.0', '1E2', '0.1e1', '2e-308', '1000000.5').map(rawNumber),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 }).map(hv),
  fc.constantFrom(0, -1, 1, 1_000_000, 1_000_001, 2 ** 31, 2 ** 53, -(2 ** 53), Number.MAX_VALUE).map(hv),
  // null, booleans, arrays, objects
  fc.constantFrom(null, true, false).map(hv),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }).map(hv),
  nestedObject.map(hv),
  // strings: unicode, long, payloads, date- and enum-like
  storableText({ maxLength: 40 }).map(hv),
  fc.integer({ min: 129, max: 3000 }).map((n) => hv('y'.repeat(n))),
  fc.constantFrom(...SQL_PAYLOADS, ...SCRIPT_PAYLOADS).map(hv),
  fc.constantFrom('2026-02-30', '2026-13-01', '2026-1-1', '20260101', '0000-00-00', '9999-12-31', '2024-02-29', '2026-01-01T00:00:00Z', 'tomorrow').map(hv),
  fc.constantFrom('ADMIN', 'SUPER_ADMIN', 'VIEWER', 'PRACTITIONER', 'admin', 'ACTIVE', 'PENDING', 'CANCELLED', 'EXPIRED', 'EXHAUSTED', 'SCHEDULED').map(hv),
);
