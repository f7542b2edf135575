import { BlockList, isIP, isIPv4, isIPv6 } from 'node:net';
import type { LookupAddress, LookupOneOptions, LookupAllOptions } from 'node:dns';

// SPEC §11, issue 15 point 4: no SSRF. A webhook URL is checked when it is registered AND before
// every delivery (DNS answers change: rebinding), and the delivery then connects to the very
// addresses that were checked (pinnedLookup), so a second DNS answer cannot redirect it.
//
// Decisions:
// - Scheme: https only. http only with allowHttpLoopback (WEBHOOK_ALLOW_HTTP_LOOPBACK, tests and
//   local use) and only when EVERY resolved address is loopback. The same flag also lets https
//   reach loopback; it never lifts any other range.
// - Port: any port 1–65535. The address check is what keeps deliveries out of the internal
//   network; a port restriction would only protect public hosts, and over https a TLS handshake
//   goes first, so a plaintext service on another port (SMTP, Redis, …) cannot be spoken to
//   (no cross-protocol request). Receivers on 8443 and the like stay possible. Port 0 is refused.
// - Addresses: ALL addresses a name resolves to must be public, else the URL is refused (a
//   resolver may hand any one of them to the connection). IPv6 that embeds an IPv4 address
//   (mapped ::ffff:a.b.c.d, compatible ::a.b.c.d, SIIT ::ffff:0:a.b.c.d, NAT64 64:ff9b::/96,
//   6to4 2002::/16) is judged as that IPv4 address; any other IPv6 must be global unicast
//   (2000::/3) outside the special-purpose blocks listed below.
// - Documentation and benchmarking ranges are refused too: they are never a real receiver, and
//   some networks route them internally.
// - Names: cloud metadata names, and names under the special-use suffixes (.internal, .local,
//   .localdomain, .home.arpa, …) are refused by name, before any resolution; single-label names
//   (resolved through search domains, i.e. inside the network) too, except `localhost`, which
//   then has to resolve to loopback like anything else. The name rule is defence in depth: the
//   address rule alone already refuses whatever these names resolve to.
// - Odd IPv4 spellings (2130706433, 0177.0.0.1, 0x7f.1, 127.1, percent-encoded) are normalized
//   by the WHATWG URL parser to dotted decimal, and then judged as any IPv4 literal.

/** Why a URL was refused; stable codes for the API and the delivery log. */
export type WebhookUrlRefusal =
  | 'INVALID_URL'
  | 'URL_TOO_LONG'
  | 'SCHEME_NOT_ALLOWED'
  | 'CREDENTIALS_IN_URL'
  | 'PORT_NOT_ALLOWED'
  | 'HOST_NOT_ALLOWED'
  | 'UNRESOLVABLE'
  | 'ADDRESS_NOT_ALLOWED'
  | 'HTTP_NOT_LOOPBACK';

/** The category of an address that is not public. */
export type AddressCategory =
  | 'unspecified'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'shared'
  | 'multicast'
  | 'reserved'
  | 'documentation'
  | 'benchmarking'
  | 'invalid';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Every A and AAAA address of a name. Production: dnsResolver (dns.promises.lookup, all, verbatim). */
export type WebhookResolver = (hostname: string) => Promise<ResolvedAddress[]>;

export interface WebhookUrlOptions {
  allowHttpLoopback: boolean;
  resolve: WebhookResolver;
}

export interface CheckedWebhookUrl {
  ok: true;
  /** The normalized URL (WHATWG serialization). */
  href: string;
  /** The host name as the connection must present it (Host header, TLS SNI), without brackets. */
  hostname: string;
  /** Every address checked, in the resolver's order: connect only to these (pinnedLookup). */
  addresses: ResolvedAddress[];
}

export interface RefusedWebhookUrl {
  ok: false;
  reason: WebhookUrlRefusal;
  /** For people: what was refused and why (names the address and its range when there is one). */
  detail: string;
}

export type WebhookUrlCheck = CheckedWebhookUrl | RefusedWebhookUrl;

export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** Names of cloud metadata services (their addresses are refused too; this catches them early). */
const METADATA_NAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'metadata.azure.com',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.tencentyun.com',
  'metadata.packet.net',
  'metadata.platformequinix.com',
  'metadata.oraclecloud.com',
]);

/** Special-use or private-use suffixes (RFC 6761, 6762, 8375; ICANN's .internal). */
const INTERNAL_SUFFIXES = ['.internal', '.local', '.localdomain', '.home.arpa', '.lan', '.intranet', '.corp', '.private'];
const LOCALHOST_SUFFIX = '.localhost';

// ---------------------------------------------------------------------------------------------
// Address ranges.

const v4Ranges: [string, number, AddressCategory][] = [
  ['0.0.0.0', 8, 'unspecified'], // "this network"; 0.0.0.0 reaches the local host on Linux
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared'], // CGNAT (and Alibaba's metadata 100.100.100.200)
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'], // includes the metadata address 169.254.169.254
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'], // IETF protocol assignments (Oracle's metadata 192.0.0.192)
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'reserved'], // former 6to4 relay anycast
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'], // includes the broadcast 255.255.255.255
];

// Checked after the embedded-IPv4 forms are taken out, and only inside 2000::/3 (anything
// outside it — ::, ::1, fc00::/7, fe80::/10, fec0::/10, ff00::/8, 100::/64, 64:ff9b:1::/48… — is
// refused by category below).
const v6Ranges: [string, number, AddressCategory][] = [
  ['2001:2::', 48, 'benchmarking'], // before the /23 that holds it: the first match names the range
  ['2001::', 23, 'reserved'], // IETF protocol assignments: Teredo 2001::/32, ORCHID, AMT…
  ['2001:db8::', 32, 'documentation'],
  ['3fff::', 20, 'documentation'],
  ['5f00::', 16, 'reserved'], // SRv6 SIDs
];

const v4Lists = v4Ranges.map(([net, prefix, category]) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, 'ipv4');
  return { list, category, range: `${net}/${prefix}` };
});
const v6Lists = v6Ranges.map(([net, prefix, category]) => {
  const list = new BlockList();
  list.addSubnet(net, prefix, 'ipv6');
  return { list, category, range: `${net}/${prefix}` };
});

/** The 16 bytes of an IPv6 address in text form (zone id removed), or undefined. */
export function ipv6Bytes(text: string): Uint8Array | undefined {
  const address = text.replace(/%.*$/, '');
  if (!isIPv6(address)) return undefined;
  let head = address;
  let v4Tail: number[] = [];
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dotted) {
    head = dotted[1] + '0:0'; // stand-in groups, replaced below
    v4Tail = dotted[2].split('.').map(Number);
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const l = groups(left);
  const r = right === undefined ? [] : groups(right);
  const all = right === undefined ? l : [...l, ...new Array(8 - l.length - r.length).fill(0), ...r];
  if (all.length !== 8 || all.some((g) => !(g >= 0 && g <= 0xffff))) return undefined;
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  if (dotted) bytes.set(v4Tail, 12);
  return bytes;
}

const v4Text = (b: ArrayLike<number>) => `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
const zero = (bytes: Uint8Array, from: number, to: number) => bytes.subarray(from, to).every((b) => b === 0);

/** The IPv4 address an IPv6 address stands for (mapped, compatible, SIIT, NAT64, 6to4), if any. */
export function embeddedIPv4(bytes: Uint8Array): string | undefined {
  // ::ffff:a.b.c.d (mapped)
  if (zero(bytes, 0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return v4Text(bytes.subarray(12));
  // ::ffff:0:a.b.c.d (SIIT, RFC 2765)
  if (zero(bytes, 0, 8) && bytes[8] === 0xff && bytes[9] === 0xff && zero(bytes, 10, 12)) return v4Text(bytes.subarray(12));
  // ::a.b.c.d (compatible, deprecated) — but not :: and ::1 themselves
  if (zero(bytes, 0, 12) && !(zero(bytes, 12, 15) && bytes[15] <= 1)) return v4Text(bytes.subarray(12));
  // 64:ff9b::a.b.c.d (NAT64 well-known prefix, RFC 6052)
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zero(bytes, 4, 12)) return v4Text(bytes.subarray(12));
  // 2002:AABB:CCDD::/48 (6to4 embeds a.b.c.d in bits 16–47)
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return v4Text(bytes.subarray(2, 6));
  return undefined;
}

export interface AddressVerdict {
  /** Undefined: a public address a webhook may be delivered to. */
  category?: AddressCategory;
  /** The range that matched (e.g. "10.0.0.0/8", "fc00::/7"), for the refusal's detail. */
  range?: string;
  /** The IPv4 address an IPv6 address was judged as. */
  judgedAs?: string;
}

/** Whether an IP address (text, as a resolver answers) is public, or which special range holds it. */
export function classifyAddress(address: string): AddressVerdict {
  if (isIPv4(address)) {
    const hit = v4Lists.find(({ list }) => list.check(address, 'ipv4'));
    return hit ? { category: hit.category, range: hit.range } : {};
  }
  const bytes = ipv6Bytes(address);
  if (!bytes) return { category: 'invalid' };
  if (zero(bytes, 0, 16)) return { category: 'unspecified', range: '::/128' };
  if (zero(bytes, 0, 15) && bytes[15] === 1) return { category: 'loopback', range: '::1/128' };
  const v4 = embeddedIPv4(bytes);
  if (v4 !== undefined) return { ...classifyAddress(v4), judgedAs: v4 };
  if (bytes[0] === 0xff) return { category: 'multicast', range: 'ff00::/8' };
  if ((bytes[0] & 0xfe) === 0xfc) return { category: 'private', range: 'fc00::/7' };
  if (bytes[0] === 0xfe && (bytes[1] & 0xc0) === 0x80) return { category: 'link-local', range: 'fe80::/10' };
  if (bytes[0] === 0xfe && (bytes[1] & 0xc0) === 0xc0) return { category: 'private', range: 'fec0::/10' };
  // Global unicast is 2000::/3; everything else (::/8 leftovers, 64:ff9b:1::/48, 100::/64, …) is not a receiver.
  if ((bytes[0] & 0xe0) !== 0x20) return { category: 'reserved', range: 'outside 2000::/3' };
  const text = address.replace(/%.*$/, '');
  const hit = v6Lists.find(({ list }) => list.check(text, 'ipv6'));
  return hit ? { category: hit.category, range: hit.range } : {};
}

// ---------------------------------------------------------------------------------------------
// The check.

const refuse = (reason: WebhookUrlRefusal, detail: string): RefusedWebhookUrl => ({ ok: false, reason, detail });

/** A host name's own rule (before resolution): undefined when it may be resolved. */
function refuseName(name: string): RefusedWebhookUrl | undefined {
  const host = name.endsWith('.') ? name.slice(0, -1) : name;
  const labels = host.split('.');
  if (host.length === 0 || host.length > 253 || labels.some((l) => l.length === 0 || l.length > 63 || !/^[a-z0-9_-]+$/.test(l))) {
    return refuse('INVALID_URL', `"${name}" is not a valid host name`);
  }
  if (METADATA_NAMES.has(host)) return refuse('HOST_NOT_ALLOWED', `"${name}" is a cloud metadata service`);
  if (INTERNAL_SUFFIXES.some((suffix) => host.endsWith(suffix) || host === suffix.slice(1))) {
    return refuse('HOST_NOT_ALLOWED', `"${name}" is an internal (special-use) name`);
  }
  if (labels.length === 1 && host !== 'localhost') return refuse('HOST_NOT_ALLOWED', `"${name}" is not a fully qualified domain name`);
  return undefined;
}

function describe(hostname: string, address: string, verdict: AddressVerdict): string {
  const as = verdict.judgedAs ? ` (judged as ${verdict.judgedAs})` : '';
  const kind = `a ${verdict.category} address${verdict.range ? ` (${verdict.range})` : ''}`;
  return isIP(hostname) ? `${address}${as} is ${kind}` : `"${hostname}" resolves to ${address}${as}, ${kind}`;
}

/**
 * Checks a webhook URL and resolves its host: either the addresses to connect to (every one of
 * them allowed), or a refusal with its reason. Never throws (a failing resolver is UNRESOLVABLE).
 */
export async function checkWebhookUrl(raw: string, options: WebhookUrlOptions): Promise<WebhookUrlCheck> {
  if (typeof raw !== 'string') return refuse('INVALID_URL', 'the URL must be a string');
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) return refuse('URL_TOO_LONG', `the URL must be at most ${MAX_WEBHOOK_URL_LENGTH} characters`);
  // The WHATWG parser trims and drops tabs and newlines silently; a URL that needs it is refused instead.
  if (/[\s\u0000-\u001f\u007f]/.test(raw)) return refuse('INVALID_URL', 'the URL must not contain spaces or control characters');
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse('INVALID_URL', 'the URL cannot be parsed');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return refuse('SCHEME_NOT_ALLOWED', `the scheme must be https: (got ${url.protocol})`);
  if (url.protocol === 'http:' && !options.allowHttpLoopback) return refuse('SCHEME_NOT_ALLOWED', 'the scheme must be https:');
  if (url.username !== '' || url.password !== '') return refuse('CREDENTIALS_IN_URL', 'the URL must not contain a user name or password');
  if (url.port === '0') return refuse('PORT_NOT_ALLOWED', 'port 0 cannot be connected to');
  if (url.hash !== '') return refuse('INVALID_URL', 'the URL must not contain a fragment (#…)');

  const bracketed = url.hostname.startsWith('[');
  const hostname = bracketed ? url.hostname.slice(1, -1) : url.hostname;
  let addresses: ResolvedAddress[];
  if (isIP(hostname)) {
    addresses = [{ address: hostname, family: isIPv4(hostname) ? 4 : 6 }];
  } else {
    const refused = refuseName(hostname);
    if (refused) return refused;
    try {
      addresses = await options.resolve(hostname.endsWith('.') ? hostname.slice(0, -1) : hostname);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return refuse('UNRESOLVABLE', `"${hostname}" does not resolve${typeof code === 'string' ? ` (${code})` : ''}`);
    }
    if (!Array.isArray(addresses) || addresses.length === 0) return refuse('UNRESOLVABLE', `"${hostname}" resolves to no address`);
  }

  let allLoopback = true;
  for (const { address } of addresses) {
    const verdict = typeof address === 'string' && isIP(address.replace(/%.*$/, '')) ? classifyAddress(address) : { category: 'invalid' as const };
    if (verdict.category === 'invalid') return refuse('ADDRESS_NOT_ALLOWED', `the resolver answered "${String(address)}", not an IP address`);
    if (verdict.category === 'loopback' && options.allowHttpLoopback) continue;
    allLoopback = false;
    if (verdict.category !== undefined) return refuse('ADDRESS_NOT_ALLOWED', describe(hostname, address, verdict));
  }
  if (url.protocol === 'http:' && !allLoopback) return refuse('HTTP_NOT_LOOPBACK', 'http: is allowed for loopback receivers only; use https:');
  return {
    ok: true,
    href: url.href,
    hostname,
    addresses: addresses.map(({ address, family }) => ({ address, family: family === 6 || isIPv6(address) ? 6 : 4 })),
  };
}

// ---------------------------------------------------------------------------------------------
// Delivery to the checked addresses only.

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for http(s).request / net.connect that answers only the addresses just checked
 * (never asks DNS again), so a delivery cannot be redirected by a second DNS answer (rebinding).
 * It refuses any other host name. TLS still verifies the certificate against the URL's name.
 *
 *   https.request(check.href, { method: 'POST', lookup: pinnedLookup(check), … })
 *
 * Deliveries must not follow redirects: Node's http(s).request never does; a 3xx is a failed
 * attempt like any other non-2xx answer.
 */
export function pinnedLookup(check: Pick<CheckedWebhookUrl, 'hostname' | 'addresses'>) {
  const pinned = check.addresses.map(({ address, family }) => ({ address, family }));
  return (hostname: string, options: LookupOneOptions | LookupAllOptions | number | LookupCallback, callback?: LookupCallback): void => {
    const cb = (typeof options === 'function' ? options : callback) as LookupCallback;
    const opts = typeof options === 'object' && options !== null ? options : typeof options === 'number' ? { family: options } : {};
    const wanted = hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
    if (wanted !== check.hostname.replace(/\.$/, '').toLowerCase()) {
      const error: NodeJS.ErrnoException = Object.assign(new Error(`pinned lookup: ${hostname} is not the checked host ${check.hostname}`), { code: 'ENOTFOUND' });
      process.nextTick(cb, error, '', 0);
      return;
    }
    const family = opts.family === 4 || opts.family === 6 ? opts.family : opts.family === 'IPv4' ? 4 : opts.family === 'IPv6' ? 6 : undefined;
    const answers = family === undefined ? pinned : pinned.filter((a) => a.family === family);
    if (answers.length === 0) {
      const error: NodeJS.ErrnoException = Object.assign(new Error(`pinned lookup: no IPv${family} address checked for ${hostname}`), { code: 'ENOTFOUND' });
      process.nextTick(cb, error, '', 0);
      return;
    }
    if ((opts as LookupAllOptions).all) process.nextTick(cb, null, answers);
    else process.nextTick(cb, null, answers[0].address, answers[0].family);
  };
}

/** The production resolver: every A and AAAA address, in the system resolver's order. */
export const dnsResolver: WebhookResolver = async (hostname) => {
  const { lookup } = await import('node:dns/promises');
  const answers = await lookup(hostname, { all: true, verbatim: true });
  return answers.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};
