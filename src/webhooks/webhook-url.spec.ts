import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  checkWebhookUrl,
  classifyAddress,
  embeddedIPv4,
  ipv6Bytes,
  pinnedLookup,
  type CheckedWebhookUrl,
  type ResolvedAddress,
  type WebhookResolver,
  type WebhookUrlCheck,
} from './webhook-url';

// Never a real DNS lookup: every name is answered by this stub, and a name it does not know is
// ENOTFOUND. The only network traffic below goes to 127.0.0.1.
const v4 = (address: string): ResolvedAddress => ({ address, family: 4 });
const v6 = (address: string): ResolvedAddress => ({ address, family: 6 });

function stubResolver(answers: Record<string, ResolvedAddress[]>) {
  const calls: string[] = [];
  const resolve: WebhookResolver = async (hostname) => {
    calls.push(hostname);
    const found = answers[hostname];
    if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return found;
  };
  return { resolve, calls };
}

const PUBLIC_V4 = '93.184.215.14';
const PUBLIC_V6 = '2606:2800:21f:cb07:6820:80da:af6b:8b2c';
const dns = stubResolver({
  'hooks.example.com': [v4(PUBLIC_V4), v6(PUBLIC_V6)],
  'v6only.example.com': [v6(PUBLIC_V6)],
  'private.example.com': [v4('10.0.0.5')],
  'mixed.example.com': [v4(PUBLIC_V4), v4('192.168.1.10')],
  'mixed6.example.com': [v4(PUBLIC_V4), v6('fd00::1')],
  'loopback.example.com': [v4('127.0.0.1'), v6('::1')],
  'loop-and-public.example.com': [v4('127.0.0.1'), v4(PUBLIC_V4)],
  'loop-and-private.example.com': [v4('127.0.0.1'), v4('10.1.2.3')],
  'meta.example.com': [v4('169.254.169.254')],
  'mapped.example.com': [v6('::ffff:10.0.0.1')],
  'zero.example.com': [v4('0.0.0.0')],
  'empty.example.com': [],
  'garbage.example.com': [v4('not-an-address')],
  localhost: [v4('127.0.0.1'), v6('::1')],
});

const strict = { allowHttpLoopback: false, resolve: dns.resolve };
const loose = { allowHttpLoopback: true, resolve: dns.resolve };

const refusal = (check: WebhookUrlCheck) => (check.ok ? 'ok' : check.reason);

describe('checkWebhookUrl: accepted URLs', () => {
  it('an https URL whose name resolves only to public addresses: every address, to pin', async () => {
    const check = await checkWebhookUrl('https://hooks.example.com/unit-ledger?x=1', strict);
    expect(check).toEqual({
      ok: true,
      href: 'https://hooks.example.com/unit-ledger?x=1',
      hostname: 'hooks.example.com',
      addresses: [v4(PUBLIC_V4), v6(PUBLIC_V6)],
    });
  });

  it('any port (1–65535), an IPv6-only name, a public IPv4 or IPv6 literal without asking DNS', async () => {
    const before = dns.calls.length;
    expect(await checkWebhookUrl('https://hooks.example.com:8443/x', strict)).toMatchObject({ ok: true, href: 'https://hooks.example.com:8443/x' });
    expect(await checkWebhookUrl('https://v6only.example.com/', strict)).toMatchObject({ ok: true, addresses: [v6(PUBLIC_V6)] });
    expect(dns.calls.length).toBe(before + 2);
    expect(await checkWebhookUrl(`https://${PUBLIC_V4}:65535/`, strict)).toEqual({ ok: true, href: `https://${PUBLIC_V4}:65535/`, hostname: PUBLIC_V4, addresses: [v4(PUBLIC_V4)] });
    expect(await checkWebhookUrl(`https://[${PUBLIC_V6}]/`, strict)).toEqual({ ok: true, href: `https://[${PUBLIC_V6}]/`, hostname: PUBLIC_V6, addresses: [v6(PUBLIC_V6)] });
    expect(dns.calls.length).toBe(before + 2);
  });

  it('a trailing dot and upper case are normalized (the resolver gets the name without the dot)', async () => {
    expect(await checkWebhookUrl('https://HOOKS.Example.COM./a', strict)).toMatchObject({ ok: true, hostname: 'hooks.example.com.' });
    expect(dns.calls[dns.calls.length - 1]).toBe('hooks.example.com');
  });

  it('IPv6 forms embedding a public IPv4 address are judged as that address (NAT64 of DNS64 networks works)', async () => {
    for (const literal of ['::ffff:93.184.215.14', '64:ff9b::93.184.215.14', '2002:5db8:d70e::1']) {
      expect(await checkWebhookUrl(`https://[${literal}]/`, strict)).toMatchObject({ ok: true });
    }
  });
});

describe('checkWebhookUrl: the URL itself', () => {
  it.each([
    ['http://hooks.example.com/', 'SCHEME_NOT_ALLOWED'],
    ['http://127.0.0.1:8080/', 'SCHEME_NOT_ALLOWED'],
    ['ftp://hooks.example.com/', 'SCHEME_NOT_ALLOWED'],
    ['file:///etc/passwd', 'SCHEME_NOT_ALLOWED'],
    ['gopher://hooks.example.com:70/', 'SCHEME_NOT_ALLOWED'],
    ['javascript:alert(1)', 'SCHEME_NOT_ALLOWED'],
    ['data:text/plain,hi', 'SCHEME_NOT_ALLOWED'],
    ['ws://hooks.example.com/', 'SCHEME_NOT_ALLOWED'],
    ['https://user:pass@hooks.example.com/', 'CREDENTIALS_IN_URL'],
    ['https://user@hooks.example.com/', 'CREDENTIALS_IN_URL'],
    ['https://:pass@hooks.example.com/', 'CREDENTIALS_IN_URL'],
    ['https://hooks.example.com:0/', 'PORT_NOT_ALLOWED'],
    ['https://hooks.example.com:65536/', 'INVALID_URL'],
    ['https://hooks.example.com/#frag', 'INVALID_URL'],
    ['not a url', 'INVALID_URL'],
    ['', 'INVALID_URL'],
    ['https://', 'INVALID_URL'],
    ['https://hooks.example.com/ x', 'INVALID_URL'],
    [' https://hooks.example.com/', 'INVALID_URL'],
    ['https://hooks.exa\tmple.com/', 'INVALID_URL'],
    ['https://hooks.example.com/\n', 'INVALID_URL'],
    ['https://a..example.com/', 'INVALID_URL'],
    ['https://999.1.1.1/', 'INVALID_URL'],
    ['https://1.2.3.4.5/', 'INVALID_URL'],
    ['https://[fe80::1%25eth0]/', 'INVALID_URL'],
    [`https://hooks.example.com/${'a'.repeat(2048)}`, 'URL_TOO_LONG'],
  ])('%s → %s', async (url, reason) => {
    expect(refusal(await checkWebhookUrl(url, strict))).toBe(reason);
  });

  it('refusals carry a readable detail', async () => {
    expect(await checkWebhookUrl('http://hooks.example.com/', strict)).toEqual({ ok: false, reason: 'SCHEME_NOT_ALLOWED', detail: 'the scheme must be https:' });
    expect(await checkWebhookUrl('https://u:p@hooks.example.com/', strict)).toEqual({
      ok: false,
      reason: 'CREDENTIALS_IN_URL',
      detail: 'the URL must not contain a user name or password',
    });
    expect(await checkWebhookUrl('https://[::ffff:10.0.0.1]/', strict)).toEqual({
      ok: false,
      reason: 'ADDRESS_NOT_ALLOWED',
      detail: '::ffff:a00:1 (judged as 10.0.0.1) is a private address (10.0.0.0/8)',
    });
    expect(await checkWebhookUrl('https://0x7f.1/', strict)).toEqual({ ok: false, reason: 'ADDRESS_NOT_ALLOWED', detail: '127.0.0.1 is a loopback address (127.0.0.0/8)' });
  });

  it('a value that is not a string is INVALID_URL, not an exception', async () => {
    expect(refusal(await checkWebhookUrl(42 as unknown as string, strict))).toBe('INVALID_URL');
  });
});

describe('checkWebhookUrl: names', () => {
  it.each([
    'metadata.google.internal',
    'METADATA.GOOGLE.INTERNAL.',
    'metadata.goog',
    'metadata.azure.com',
    'instance-data.ec2.internal',
    'metadata',
    'anything.internal',
    'printer.local',
    'router.home.arpa',
    'box.localdomain',
    'intranet', // single label: resolved through search domains, inside the network
  ])('%s is refused by name, without asking the resolver', async (name) => {
    const before = dns.calls.length;
    expect(refusal(await checkWebhookUrl(`https://${name}/`, strict))).toBe('HOST_NOT_ALLOWED');
    expect(dns.calls.length).toBe(before);
  });

  it('a name that does not resolve, resolves to nothing, or to something that is not an address', async () => {
    expect(await checkWebhookUrl('https://nowhere.example.com/', strict)).toEqual({
      ok: false,
      reason: 'UNRESOLVABLE',
      detail: '"nowhere.example.com" does not resolve (ENOTFOUND)',
    });
    expect(refusal(await checkWebhookUrl('https://empty.example.com/', strict))).toBe('UNRESOLVABLE');
    expect(refusal(await checkWebhookUrl('https://garbage.example.com/', strict))).toBe('ADDRESS_NOT_ALLOWED');
  });

  it('refuses a name when ANY of its addresses is not public (A or AAAA)', async () => {
    expect(await checkWebhookUrl('https://mixed.example.com/', strict)).toEqual({
      ok: false,
      reason: 'ADDRESS_NOT_ALLOWED',
      detail: '"mixed.example.com" resolves to 192.168.1.10, a private address (192.168.0.0/16)',
    });
    expect(refusal(await checkWebhookUrl('https://mixed6.example.com/', strict))).toBe('ADDRESS_NOT_ALLOWED');
    expect(refusal(await checkWebhookUrl('https://private.example.com/', strict))).toBe('ADDRESS_NOT_ALLOWED');
    expect(refusal(await checkWebhookUrl('https://meta.example.com/', strict))).toBe('ADDRESS_NOT_ALLOWED');
    expect(refusal(await checkWebhookUrl('https://zero.example.com/', strict))).toBe('ADDRESS_NOT_ALLOWED');
    expect(await checkWebhookUrl('https://mapped.example.com/', strict)).toEqual({
      ok: false,
      reason: 'ADDRESS_NOT_ALLOWED',
      detail: '"mapped.example.com" resolves to ::ffff:10.0.0.1 (judged as 10.0.0.1), a private address (10.0.0.0/8)',
    });
    expect(refusal(await checkWebhookUrl('https://localhost/', strict))).toBe('ADDRESS_NOT_ALLOWED');
    expect(refusal(await checkWebhookUrl('https://loopback.example.com/', strict))).toBe('ADDRESS_NOT_ALLOWED');
  });

  it('a resolver that throws something odd is UNRESOLVABLE, never an exception', async () => {
    const check = await checkWebhookUrl('https://hooks.example.com/', { allowHttpLoopback: false, resolve: () => Promise.reject('boom') });
    expect(check).toEqual({ ok: false, reason: 'UNRESOLVABLE', detail: '"hooks.example.com" does not resolve' });
  });
});

describe('checkWebhookUrl: address literals, in every spelling', () => {
  // Odd IPv4 spellings: the WHATWG URL parser turns them into dotted decimal first.
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['2130706433', 'loopback'], // decimal
    ['0x7f000001', 'loopback'], // hex
    ['0177.0.0.1', 'loopback'], // octal
    ['0x7f.1', 'loopback'], // hex, short form
    ['127.1', 'loopback'], // short form
    ['017700000001', 'loopback'], // octal, one number
    ['127.0.0.1.', 'loopback'], // trailing dot
    ['%31%32%37.0.0.1', 'loopback'], // percent-encoded
    ['０x7f.0.0.1', 'loopback'], // full-width digits
    ['[::1]', 'loopback'],
    ['[0:0:0:0:0:0:0:1]', 'loopback'],
    ['[::ffff:127.0.0.1]', 'loopback'],
    ['10.0.0.1', 'private'],
    ['167772161', 'private'], // 10.0.0.1 in decimal
    ['012.0.0.1', 'private'], // 10.0.0.1 in octal
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['0xc0a80001', 'private'], // 192.168.0.1 in hex
    ['[::ffff:10.0.0.1]', 'private'], // IPv4-mapped
    ['[::ffff:a00:1]', 'private'], // the same, hex form
    ['[::10.0.0.1]', 'private'], // IPv4-compatible
    ['[::ffff:0:10.0.0.1]', 'private'], // SIIT
    ['[64:ff9b::10.0.0.1]', 'private'], // NAT64
    ['[64:ff9b::a00:1]', 'private'],
    ['[2002:a00:1::1]', 'private'], // 6to4 embedding 10.0.0.1
    ['[2002:7f00:1::]', 'loopback'], // 6to4 embedding 127.0.0.1
    ['[fc00::1]', 'private'],
    ['[fd12:3456:789a::1]', 'private'],
    ['[fd00:ec2::254]', 'private'], // AWS metadata over IPv6
    ['[fec0::1]', 'private'],
    ['169.254.169.254', 'link-local'], // cloud metadata
    ['2852039166', 'link-local'], // the same, decimal
    ['0xa9.0xfe.0xa9.0xfe', 'link-local'], // the same, hex
    ['[::ffff:169.254.169.254]', 'link-local'],
    ['[fe80::1]', 'link-local'],
    ['[febf::1]', 'link-local'],
    ['100.64.0.1', 'shared'],
    ['100.100.100.200', 'shared'], // Alibaba metadata
    ['100.127.255.255', 'shared'],
    ['0.0.0.0', 'unspecified'],
    ['0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['[::]', 'unspecified'],
    ['[::ffff:0.0.0.0]', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['[ff02::1]', 'multicast'],
    ['[ff05::1:3]', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['192.0.0.192', 'reserved'], // Oracle metadata
    ['192.88.99.1', 'reserved'],
    ['[64:ff9b:1::1]', 'reserved'], // local-use NAT64
    ['[100::1]', 'reserved'], // discard-only
    ['[2001::1]', 'reserved'], // Teredo
    ['[2001:0:4136:e378:8000:63bf:3fff:fdd2]', 'reserved'], // Teredo
    ['[::2]', 'unspecified'], // compatible form of 0.0.0.2
    ['[1::1]', 'reserved'], // outside 2000::/3
    ['[4000::1]', 'reserved'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['[2001:db8::1]', 'documentation'],
    ['[3fff::1]', 'documentation'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['[2001:2::1]', 'benchmarking'],
  ])('https://%s/ is a %s address: refused', async (host, category) => {
    const check = await checkWebhookUrl(`https://${host}/`, strict);
    expect(check).toMatchObject({ ok: false, reason: 'ADDRESS_NOT_ALLOWED' });
    expect((check as { detail: string }).detail).toContain(`is a ${category} address`);
  });

  it('the range edges: just outside each private block is public', async () => {
    for (const host of ['9.255.255.255', '11.0.0.0', '100.63.255.255', '100.128.0.0', '126.255.255.255', '128.0.0.0', '169.253.255.255', '169.255.0.0', '172.15.255.255', '172.32.0.0', '192.167.255.255', '192.169.0.0', '198.17.255.255', '198.20.0.0', '223.255.255.255', '1.1.1.1', '8.8.8.8']) {
      expect([host, await checkWebhookUrl(`https://${host}/`, strict)]).toEqual([host, expect.objectContaining({ ok: true })]);
    }
    for (const host of ['[2000::1]', '[2a00:1450:4001:80b::200e]', '[2001:4860:4860::8888]', '[3ffe::1]']) {
      expect([host, await checkWebhookUrl(`https://${host}/`, strict)]).toEqual([host, expect.objectContaining({ ok: true })]);
    }
  });
});

describe('checkWebhookUrl: WEBHOOK_ALLOW_HTTP_LOOPBACK', () => {
  it('lifts http-to-loopback: a loopback literal or a name resolving only to loopback', async () => {
    expect(await checkWebhookUrl('http://127.0.0.1:4567/hook', loose)).toEqual({
      ok: true,
      href: 'http://127.0.0.1:4567/hook',
      hostname: '127.0.0.1',
      addresses: [v4('127.0.0.1')],
    });
    expect(await checkWebhookUrl('http://[::1]:4567/', loose)).toMatchObject({ ok: true, hostname: '::1' });
    expect(await checkWebhookUrl('http://localhost:4567/', loose)).toMatchObject({ ok: true, addresses: [v4('127.0.0.1'), v6('::1')] });
    expect(await checkWebhookUrl('http://loopback.example.com/', loose)).toMatchObject({ ok: true });
    expect(await checkWebhookUrl('http://2130706433:80/', loose)).toMatchObject({ ok: true, hostname: '127.0.0.1' });
    expect(await checkWebhookUrl('https://127.0.0.1:4567/', loose)).toMatchObject({ ok: true });
  });

  it('lifts nothing else: http to a public host, private, link-local, unspecified stay refused', async () => {
    expect(refusal(await checkWebhookUrl('http://hooks.example.com/', loose))).toBe('HTTP_NOT_LOOPBACK');
    expect(refusal(await checkWebhookUrl(`http://${PUBLIC_V4}/`, loose))).toBe('HTTP_NOT_LOOPBACK');
    expect(refusal(await checkWebhookUrl('http://loop-and-public.example.com/', loose))).toBe('HTTP_NOT_LOOPBACK');
    expect(refusal(await checkWebhookUrl('http://loop-and-private.example.com/', loose))).toBe('ADDRESS_NOT_ALLOWED');
    expect(refusal(await checkWebhookUrl('https://loop-and-private.example.com/', loose))).toBe('ADDRESS_NOT_ALLOWED');
    for (const host of ['10.0.0.1', '192.168.1.1', '169.254.169.254', '0.0.0.0', '[::]', '[fe80::1]', '[fd00::1]', '224.0.0.1']) {
      expect([host, refusal(await checkWebhookUrl(`http://${host}/`, loose))]).toEqual([host, 'ADDRESS_NOT_ALLOWED']);
    }
    expect(refusal(await checkWebhookUrl('http://metadata.google.internal/', loose))).toBe('HOST_NOT_ALLOWED');
    expect(refusal(await checkWebhookUrl('http://u:p@127.0.0.1/', loose))).toBe('CREDENTIALS_IN_URL');
  });
});

describe('DNS rebinding: the URL is checked again at delivery', () => {
  it('the same URL, public at registration, loopback or private at delivery: the second check refuses', async () => {
    for (const second of ['127.0.0.1', '10.0.0.5']) {
      const answers = [[v4(PUBLIC_V4)], [v4(second)]];
      let call = 0;
      const rebinding: WebhookResolver = async () => answers[Math.min(call++, answers.length - 1)];
      const options = { allowHttpLoopback: false, resolve: rebinding };
      expect(await checkWebhookUrl('https://rebind.example.com/hook', options)).toMatchObject({ ok: true, addresses: [v4(PUBLIC_V4)] });
      expect(await checkWebhookUrl('https://rebind.example.com/hook', options)).toMatchObject({ ok: false, reason: 'ADDRESS_NOT_ALLOWED' });
      expect(call).toBe(2);
    }
  });
});

describe('pinnedLookup', () => {
  const check: CheckedWebhookUrl = {
    ok: true,
    href: 'https://hooks.example.com/',
    hostname: 'hooks.example.com',
    addresses: [v4(PUBLIC_V4), v6(PUBLIC_V6)],
  };
  const ask = (hostname: string, options: object) =>
    new Promise<{ error: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) =>
      pinnedLookup(check)(hostname, options, (error, address, family) => resolve({ error, address, family })),
    );

  it('answers only the checked addresses, one or all, by family', async () => {
    expect(await ask('hooks.example.com', {})).toEqual({ error: null, address: PUBLIC_V4, family: 4 });
    expect(await ask('HOOKS.example.com.', { all: true })).toEqual({ error: null, address: [v4(PUBLIC_V4), v6(PUBLIC_V6)], family: undefined });
    expect(await ask('hooks.example.com', { family: 6 })).toEqual({ error: null, address: PUBLIC_V6, family: 6 });
    expect(await ask('hooks.example.com', { family: 4, all: true })).toEqual({ error: null, address: [v4(PUBLIC_V4)], family: undefined });
  });

  it('refuses any other name, and a family that was not checked', async () => {
    expect((await ask('evil.example.com', {})).error?.code).toBe('ENOTFOUND');
    const v4Only = { ...check, addresses: [v4(PUBLIC_V4)] };
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) => pinnedLookup(v4Only)('hooks.example.com', { family: 6 }, (e) => resolve(e)));
    expect(error?.code).toBe('ENOTFOUND');
  });

  describe('with a real request to a loopback receiver', () => {
    let receiver: Server;
    let other: Server;
    let port: number;
    let otherPort: number;
    const seen: { host?: string; url?: string }[] = [];
    const otherSeen: string[] = [];

    beforeAll(async () => {
      other = createServer((req, res) => {
        otherSeen.push(req.url ?? '');
        res.end('other');
      });
      await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
      otherPort = (other.address() as AddressInfo).port;
      receiver = createServer((req, res) => {
        seen.push({ host: req.headers.host, url: req.url });
        if (req.url === '/redirect') {
          res.writeHead(302, { location: `http://127.0.0.1:${otherPort}/stolen` }).end();
          return;
        }
        res.writeHead(204).end();
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      port = (receiver.address() as AddressInfo).port;
    });
    afterAll(async () => {
      await new Promise((resolve) => receiver.close(resolve));
      await new Promise((resolve) => other.close(resolve));
    });

    const post = (href: string, lookup: ReturnType<typeof pinnedLookup>) =>
      new Promise<IncomingMessage>((resolve, reject) => {
        const req = request(href, { method: 'POST', lookup, agent: false }, (res) => {
          res.resume();
          res.on('end', () => resolve(res));
        });
        req.on('error', reject);
        req.end('{}');
      });

    it('connects to the pinned address of a name, whatever DNS would say now; sends the name as Host', async () => {
      // The name exists only in the stub: the request can reach the receiver only through the pin.
      let answer = '127.0.0.1';
      const resolve: WebhookResolver = async () => [v4(answer)];
      const checked = await checkWebhookUrl(`http://receiver.example.test:${port}/hook`, { allowHttpLoopback: true, resolve });
      if (!checked.ok) throw new Error(checked.detail);
      answer = '10.0.0.5'; // a second DNS answer after the check changes nothing: nobody asks DNS again
      const res = await post(checked.href, pinnedLookup(checked));
      expect(res.statusCode).toBe(204);
      expect(seen[seen.length - 1]).toEqual({ host: `receiver.example.test:${port}`, url: '/hook' });
    });

    it('a redirect is not followed: the 302 is the answer and the other server receives nothing', async () => {
      const checked = await checkWebhookUrl(`http://127.0.0.1:${port}/redirect`, loose);
      if (!checked.ok) throw new Error(checked.detail);
      const res = await post(checked.href, pinnedLookup(checked));
      expect(res.statusCode).toBe(302);
      expect(otherSeen).toEqual([]);
    });
  });
});

describe('address helpers', () => {
  it('ipv6Bytes parses compressed, full and dotted forms; refuses what is not IPv6', () => {
    expect(Array.from(ipv6Bytes('::1')!)).toEqual([...new Array(15).fill(0), 1]);
    expect(Array.from(ipv6Bytes('::ffff:1.2.3.4')!)).toEqual([...new Array(10).fill(0), 0xff, 0xff, 1, 2, 3, 4]);
    expect(Array.from(ipv6Bytes('2001:db8:0:0:0:0:0:1')!)).toEqual(Array.from(ipv6Bytes('2001:db8::1')!));
    expect(Array.from(ipv6Bytes('fe80::1%eth0')!.subarray(0, 2))).toEqual([0xfe, 0x80]);
    expect(ipv6Bytes('1.2.3.4')).toBeUndefined();
    expect(ipv6Bytes('1::2::3')).toBeUndefined();
  });

  it('embeddedIPv4 finds the IPv4 address of mapped, compatible, SIIT, NAT64 and 6to4 forms only', () => {
    expect(embeddedIPv4(ipv6Bytes('::ffff:a00:1')!)).toBe('10.0.0.1');
    expect(embeddedIPv4(ipv6Bytes('::a00:1')!)).toBe('10.0.0.1');
    expect(embeddedIPv4(ipv6Bytes('::ffff:0:a00:1')!)).toBe('10.0.0.1');
    expect(embeddedIPv4(ipv6Bytes('64:ff9b::c0a8:101')!)).toBe('192.168.1.1');
    expect(embeddedIPv4(ipv6Bytes('2002:c0a8:101:1::5')!)).toBe('192.168.1.1');
    expect(embeddedIPv4(ipv6Bytes('2606:4700::1')!)).toBeUndefined();
    expect(embeddedIPv4(ipv6Bytes('64:ff9b:1::a00:1')!)).toBeUndefined();
  });

  it('classifyAddress: public addresses have no category; resolver answers with a zone id are judged without it', () => {
    expect(classifyAddress('8.8.8.8')).toEqual({});
    expect(classifyAddress(PUBLIC_V6)).toEqual({});
    expect(classifyAddress('fe80::1%eth0')).toEqual({ category: 'link-local', range: 'fe80::/10' });
    expect(classifyAddress('::ffff:127.0.0.1')).toEqual({ category: 'loopback', range: '127.0.0.0/8', judgedAs: '127.0.0.1' });
    expect(classifyAddress('nonsense')).toEqual({ category: 'invalid' });
  });
});
