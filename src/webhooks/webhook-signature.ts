import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

// SPEC §11: every delivery carries
//   Unit-Ledger-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
// The key is the endpoint's secret exactly as shown at registration (its UTF-8 bytes, prefix
// included); the message is the decimal timestamp, a dot, and the body bytes exactly as sent.
// A receiver recomputes it over the raw body (before any JSON parsing) and compares in constant
// time; the timestamp, being signed too, lets it refuse replays of old deliveries.

export const SIGNATURE_HEADER = 'Unit-Ledger-Signature';
export const EVENT_ID_HEADER = 'Unit-Ledger-Event-Id';
export const EVENT_TYPE_HEADER = 'Unit-Ledger-Event-Type';

/** Five minutes either way: a receiver's default for refusing a replayed or badly clocked delivery. */
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

const SECRET_PREFIX = 'whsec_';

/** A new signing secret: `whsec_` and 32 random bytes, base64url (256 bits, the HMAC-SHA256 key size). */
export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64url');
}

const bodyBytes = (rawBody: string | Buffer) => (typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody);

function hmac(secret: string, timestampSeconds: number, rawBody: string | Buffer): Buffer {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${timestampSeconds}.`, 'utf8').update(bodyBytes(rawBody)).digest();
}

/** The header value for a delivery sent at `timestampSeconds` (integer unix seconds) with this exact body. */
export function signatureHeader(secret: string, timestampSeconds: number, rawBody: string | Buffer): string {
  if (!Number.isSafeInteger(timestampSeconds) || timestampSeconds < 0) throw new RangeError('timestampSeconds must be a non-negative integer of unix seconds');
  if (secret.length === 0) throw new RangeError('the signing secret must not be empty');
  return `t=${timestampSeconds},v1=${hmac(secret, timestampSeconds, rawBody).toString('hex')}`;
}

export type SignatureRefusal = 'MISSING' | 'MALFORMED' | 'STALE' | 'MISMATCH';
export type SignatureVerdict = { ok: true; timestamp: number } | { ok: false; reason: SignatureRefusal };

export interface VerifyOptions {
  /** How far t may be from now, either way (default 300 s). */
  toleranceSeconds?: number;
  /** Now, in unix seconds (default: the clock). */
  now?: number;
}

/** t and every v1 of a header, or undefined when it is not of the form `t=…,v1=…[,v1=…]` (other schemes ignored). */
export function parseSignatureHeader(header: string): { timestamp: number; signatures: Buffer[] } | undefined {
  if (header.length > 4096) return undefined;
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(value)) return undefined;
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-fA-F]{64}$/.test(value)) return undefined;
      signatures.push(Buffer.from(value, 'hex'));
    } else if (!/^[a-z0-9]+$/i.test(key)) {
      return undefined;
    }
  }
  if (timestamp === undefined || signatures.length === 0) return undefined;
  return { timestamp, signatures };
}

/**
 * Checks a received `Unit-Ledger-Signature` against the raw body. Several v1 values (a secret
 * being rotated) pass when any one matches; every one is compared, in constant time.
 */
export function verifySignature(header: string | undefined | null, secret: string, rawBody: string | Buffer, options: VerifyOptions = {}): SignatureVerdict {
  if (header === undefined || header === null || header.trim() === '') return { ok: false, reason: 'MISSING' };
  const parsed = parseSignatureHeader(header);
  if (!parsed) return { ok: false, reason: 'MALFORMED' };
  const tolerance = options.toleranceSeconds ?? DEFAULT_SIGNATURE_TOLERANCE_SECONDS;
  const now = options.now ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - parsed.timestamp) > tolerance) return { ok: false, reason: 'STALE' };
  const expected = hmac(secret, parsed.timestamp, rawBody);
  let matched = false;
  for (const signature of parsed.signatures) matched = timingSafeEqual(expected, signature) || matched;
  return matched ? { ok: true, timestamp: parsed.timestamp } : { ok: false, reason: 'MISMATCH' };
}
