import { createHmac } from 'node:crypto';
import { generateWebhookSecret, parseSignatureHeader, signatureHeader, verifySignature } from './webhook-signature';

// Known answers computed independently of this code, with OpenSSL:
//   printf '%s' '1767225600.{"id":"evt_1","type":"reservation.created"}' | openssl dgst -sha256 -hmac 'whsec_test_secret'
//   printf '%s' '1767225600.' | openssl dgst -sha256 -hmac 'whsec_test_secret'
//   printf '%s' '1767225600.{"note":"café ✓"}' | openssl dgst -sha256 -hmac 'whsec_test_secret'   (UTF-8 terminal)
const SECRET = 'whsec_test_secret';
const T = 1767225600; // 2026-01-01T00:00:00Z
const BODY = '{"id":"evt_1","type":"reservation.created"}';
const KNOWN = '82fbb4dfd11547ad7edd0bb6e116975c4687ae16ca6ad5727263aca3ead6bd53';
const KNOWN_EMPTY = '2101ed4de13a3847b9130080a81eb77b7a3727702e4665f5d4fc9fb89133b2e2';
const UTF8_BODY = '{"note":"café ✓"}';
const KNOWN_UTF8 = '377818b657272931dc07ccc61e215d27d7f085c61f66c4569c0b883bd360d901';

describe('signatureHeader', () => {
  it('is t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")> — the OpenSSL known answers', () => {
    expect(signatureHeader(SECRET, T, BODY)).toBe(`t=1767225600,v1=${KNOWN}`);
    expect(signatureHeader(SECRET, T, Buffer.from(BODY))).toBe(`t=1767225600,v1=${KNOWN}`);
    expect(signatureHeader(SECRET, T, '')).toBe(`t=1767225600,v1=${KNOWN_EMPTY}`);
    expect(signatureHeader(SECRET, T, UTF8_BODY)).toBe(`t=1767225600,v1=${KNOWN_UTF8}`);
  });

  it('signs the bytes as sent: a body re-serialized differently has another signature', () => {
    const reformatted = JSON.stringify(JSON.parse(BODY), null, 2);
    expect(signatureHeader(SECRET, T, reformatted)).not.toBe(signatureHeader(SECRET, T, BODY));
  });

  it('refuses a timestamp that is not integer unix seconds, and an empty secret', () => {
    for (const t of [1.5, -1, NaN, Infinity, Date.now() * 1000 * 1000]) expect(() => signatureHeader(SECRET, t, BODY)).toThrow(RangeError);
    expect(() => signatureHeader('', T, BODY)).toThrow(RangeError);
  });
});

describe('verifySignature', () => {
  const at = { now: T + 10, toleranceSeconds: 300 };

  it('accepts the known answer within the tolerance, either side of now', () => {
    expect(verifySignature(`t=${T},v1=${KNOWN}`, SECRET, BODY, at)).toEqual({ ok: true, timestamp: T });
    expect(verifySignature(`t=${T},v1=${KNOWN}`, SECRET, Buffer.from(BODY), { now: T - 300 })).toEqual({ ok: true, timestamp: T });
    expect(verifySignature(`t=${T},v1=${KNOWN}`, SECRET, BODY, { now: T + 300 })).toEqual({ ok: true, timestamp: T });
    expect(verifySignature(` t=${T} , v1=${KNOWN.toUpperCase()} `, SECRET, BODY, at)).toEqual({ ok: true, timestamp: T });
  });

  it('defaults: 300 s tolerance against the clock', () => {
    const now = Math.floor(Date.now() / 1000);
    expect(verifySignature(signatureHeader(SECRET, now, BODY), SECRET, BODY)).toEqual({ ok: true, timestamp: now });
    expect(verifySignature(signatureHeader(SECRET, now - 301, BODY), SECRET, BODY)).toEqual({ ok: false, reason: 'STALE' });
  });

  it('refuses a stale or future timestamp (a replay), even with a correct signature', () => {
    expect(verifySignature(`t=${T},v1=${KNOWN}`, SECRET, BODY, { now: T + 301 })).toEqual({ ok: false, reason: 'STALE' });
    expect(verifySignature(`t=${T},v1=${KNOWN}`, SECRET, BODY, { now: T - 301 })).toEqual({ ok: false, reason: 'STALE' });
    expect(verifySignature(`t=${T},v1=${KNOWN}`, SECRET, BODY, { now: T + 61, toleranceSeconds: 60 })).toEqual({ ok: false, reason: 'STALE' });
  });

  it('refuses another secret, another body, another timestamp (the timestamp is signed)', () => {
    expect(verifySignature(`t=${T},v1=${KNOWN}`, 'whsec_other', BODY, at)).toEqual({ ok: false, reason: 'MISMATCH' });
    expect(verifySignature(`t=${T},v1=${KNOWN}`, SECRET, BODY + ' ', at)).toEqual({ ok: false, reason: 'MISMATCH' });
    expect(verifySignature(`t=${T + 1},v1=${KNOWN}`, SECRET, BODY, at)).toEqual({ ok: false, reason: 'MISMATCH' });
    const flipped = KNOWN.slice(0, -1) + (KNOWN.endsWith('3') ? '4' : '3');
    expect(verifySignature(`t=${T},v1=${flipped}`, SECRET, BODY, at)).toEqual({ ok: false, reason: 'MISMATCH' });
  });

  it('several v1 (a secret in rotation): passes when any one matches, whatever its place', () => {
    const other = createHmac('sha256', 'whsec_old').update(`${T}.${BODY}`).digest('hex');
    expect(verifySignature(`t=${T},v1=${other},v1=${KNOWN}`, SECRET, BODY, at)).toEqual({ ok: true, timestamp: T });
    expect(verifySignature(`t=${T},v1=${KNOWN},v1=${other}`, SECRET, BODY, at)).toEqual({ ok: true, timestamp: T });
    expect(verifySignature(`t=${T},v1=${other},v1=${other}`, SECRET, BODY, at)).toEqual({ ok: false, reason: 'MISMATCH' });
    // another scheme beside v1 is ignored, not trusted
    expect(verifySignature(`t=${T},v0=abc,v1=${KNOWN}`, SECRET, BODY, at)).toEqual({ ok: true, timestamp: T });
    expect(verifySignature(`t=${T},v0=${KNOWN}`, SECRET, BODY, at)).toEqual({ ok: false, reason: 'MALFORMED' });
  });

  it.each([
    [undefined, 'MISSING'],
    [null, 'MISSING'],
    ['', 'MISSING'],
    ['   ', 'MISSING'],
    [`v1=${KNOWN}`, 'MALFORMED'], // no t
    [`t=${T}`, 'MALFORMED'], // no v1
    [`t=${T},v1=`, 'MALFORMED'],
    [`t=${T},v1=${KNOWN.slice(0, 63)}`, 'MALFORMED'], // short
    [`t=${T},v1=${KNOWN}00`, 'MALFORMED'], // long
    [`t=${T},v1=${KNOWN.slice(0, 63)}g`, 'MALFORMED'], // not hex
    [`t=${T},t=${T},v1=${KNOWN}`, 'MALFORMED'], // two t
    [`t=-${T},v1=${KNOWN}`, 'MALFORMED'],
    [`t=${T}.5,v1=${KNOWN}`, 'MALFORMED'],
    [`t=1e9,v1=${KNOWN}`, 'MALFORMED'],
    [`t=0x${T.toString(16)},v1=${KNOWN}`, 'MALFORMED'],
    [`t=9999999999999,v1=${KNOWN}`, 'MALFORMED'],
    [`t=${T};v1=${KNOWN}`, 'MALFORMED'],
    [`t=${T},,v1=${KNOWN}`, 'MALFORMED'],
    [`t=${T},v1=${KNOWN},`, 'MALFORMED'],
    [`${T},${KNOWN}`, 'MALFORMED'],
    [`t=${T},v1=${KNOWN},${'x'.repeat(5000)}`, 'MALFORMED'],
    [`sha256=${KNOWN}`, 'MALFORMED'],
  ])('%p → %s', (header, reason) => {
    expect(verifySignature(header as string | undefined, SECRET, BODY, at)).toEqual({ ok: false, reason });
  });

  it('round-trips with signatureHeader for any body, also binary', () => {
    const bodies = ['', '{}', 'x'.repeat(100_000), Buffer.from([0, 255, 1, 254])];
    for (const body of bodies) expect(verifySignature(signatureHeader(SECRET, T, body), SECRET, body, at)).toEqual({ ok: true, timestamp: T });
  });
});

describe('parseSignatureHeader', () => {
  it('gives t and every v1', () => {
    expect(parseSignatureHeader(`t=${T},v1=${KNOWN}`)).toEqual({ timestamp: T, signatures: [Buffer.from(KNOWN, 'hex')] });
  });
});

describe('generateWebhookSecret', () => {
  it('is whsec_ and 32 random bytes in base64url, never the same twice', () => {
    const secrets = Array.from({ length: 1000 }, () => generateWebhookSecret());
    for (const secret of secrets) {
      expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(secret.slice(6), 'base64url')).toHaveLength(32);
    }
    expect(new Set(secrets).size).toBe(1000);
  });
});
