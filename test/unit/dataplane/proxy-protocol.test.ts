// PROXY protocol parser against HAProxy's proxy-protocol.txt: v1 lines and v2 binary headers
// built here byte by byte from the spec (§2.1, §2.2), valid and broken; and the encoder of the
// headers Sluice sends to backends, checked against the same bytes and by round trip.
import { describe, expect, it } from '@jest/globals';
import { NOT_A_PROXY_HEADER, parseProxyHeader, type ProxyParseResult } from '../../../src/dataplane/edge/proxy-protocol.js';
import { encodeProxyHeader } from '../../../src/dataplane/edge/proxy-header.js';

const SIGNATURE = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
const VER2_LOCAL = 0x20;
const VER2_PROXY = 0x21;
const TCP4 = 0x11;
const UDP4 = 0x12;
const TCP6 = 0x21;
const UNIX_STREAM = 0x31;
const UNSPEC = 0x00;

function u16(n: number): number[] {
  return [n >> 8, n & 0xff];
}

function ipv4(text: string): number[] {
  return text.split('.').map(Number);
}

/** 16 bytes of an IPv6 address written as 8 full groups. */
function ipv6(groups: readonly number[]): number[] {
  return groups.flatMap(u16);
}

function tlv(type: number, value: readonly number[] | string): number[] {
  const bytes = typeof value === 'string' ? [...Buffer.from(value, 'latin1')] : [...value];
  return [type, ...u16(bytes.length), ...bytes];
}

/** A v2 header: signature, ver/cmd, fam/proto, length (of body unless given), body. */
function v2(verCmd: number, famProto: number, body: readonly number[], length = body.length): Buffer {
  return Buffer.from([...SIGNATURE, verCmd, famProto, ...u16(length), ...body]);
}

function tcp4Body(src: string, dst: string, srcPort: number, dstPort: number): number[] {
  return [...ipv4(src), ...ipv4(dst), ...u16(srcPort), ...u16(dstPort)];
}

const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');

function expectOk(result: ProxyParseResult): Extract<ProxyParseResult, { kind: 'ok' }> {
  if (result.kind !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result;
}

function expectError(input: Buffer): string {
  const result = parseProxyHeader(input);
  if (result.kind !== 'error') throw new Error(`expected an error for ${JSON.stringify(input.toString('latin1'))}, got ${JSON.stringify(result)}`);
  return result.reason;
}

/** Every proper prefix of a valid header is "incomplete", never an error or a result. */
function expectEveryPrefixIncomplete(header: Buffer): void {
  for (let n = 0; n < header.length; n++) {
    expect({ n, result: parseProxyHeader(header.subarray(0, n)) }).toEqual({ n, result: { kind: 'incomplete' } });
  }
}

describe('PROXY protocol v1', () => {
  it('parses TCP4 and consumes exactly the line, leaving the request behind it', () => {
    const line = 'PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n';
    const result = expectOk(parseProxyHeader(latin1(line + 'GET / HTTP/1.1\r\n\r\n')));
    expect(result.consumed).toBe(line.length);
    expect(result.header).toEqual({
      command: 'proxy',
      version: 1,
      source: { address: '192.168.0.1', port: 56324, family: 'IPv4' },
      destination: { address: '192.168.0.11', port: 443, family: 'IPv4' },
    });
  });

  it('parses TCP6 and prints addresses canonically (as socket.remoteAddress would)', () => {
    const result = expectOk(parseProxyHeader(latin1('PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::FFFF:198.51.100.2 1 65535\r\n')));
    expect(result.header).toEqual({
      command: 'proxy',
      version: 1,
      source: { address: '2001:db8::1', port: 1, family: 'IPv6' },
      destination: { address: '::ffff:198.51.100.2', port: 65535, family: 'IPv6' },
    });
  });

  it('accepts port 0 and the spec’s longest lines (104-byte TCP6, 107-byte UNKNOWN)', () => {
    const full = 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff';
    const tcp6 = `PROXY TCP6 ${full} ${full} 65535 65535\r\n`;
    expect(tcp6.length).toBe(104);
    expect(expectOk(parseProxyHeader(latin1(tcp6))).consumed).toBe(104);
    const unknown = `PROXY UNKNOWN ${full} ${full} 65535 65535\r\n`;
    expect(unknown.length).toBe(107);
    expect(expectOk(parseProxyHeader(latin1(unknown)))).toEqual({ kind: 'ok', header: { command: 'local', version: 1 }, consumed: 107 });
    expect(expectOk(parseProxyHeader(latin1('PROXY TCP4 1.2.3.4 5.6.7.8 0 0\r\n'))).header).toMatchObject({ source: { port: 0 } });
  });

  it('treats UNKNOWN as local and ignores whatever follows it on the line', () => {
    for (const line of ['PROXY UNKNOWN\r\n', 'PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\n', 'PROXY UNKNOWN whatever the sender put here\r\n']) {
      expect(parseProxyHeader(latin1(line + 'GET'))).toEqual({ kind: 'ok', header: { command: 'local', version: 1 }, consumed: line.length });
    }
  });

  it('is incomplete for every prefix of a valid line', () => {
    expectEveryPrefixIncomplete(latin1('PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n'));
    expectEveryPrefixIncomplete(latin1('PROXY UNKNOWN\r\n'));
  });

  it('rejects a line with no CRLF in the first 107 bytes', () => {
    const long = latin1('PROXY UNKNOWN ' + 'f'.repeat(200));
    expect(expectError(long.subarray(0, 107))).toMatch(/longer than 107/);
    expect(parseProxyHeader(long.subarray(0, 106))).toEqual({ kind: 'incomplete' });
    // CR as the 107th byte would put the LF at 108.
    const crAt107 = Buffer.concat([long.subarray(0, 106), latin1('\r\n')]);
    expect(expectError(crAt107)).toMatch(/longer than 107/);
    expect(expectError(crAt107.subarray(0, 107))).toMatch(/longer than 107/);
  });

  it('rejects a lone LF or a CR not followed by LF', () => {
    expect(expectError(latin1('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n'))).toMatch(/LF without CR/);
    expect(expectError(latin1('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX'))).toMatch(/CR without LF/);
    expect(expectError(latin1('PROXY TCP4 1.2.3.4\r5.6.7.8 1 2\r\n'))).toMatch(/CR without LF/);
    expect(parseProxyHeader(latin1('PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r'))).toEqual({ kind: 'incomplete' });
  });

  it.each([
    ['double space', 'PROXY TCP4 1.2.3.4  5.6.7.8 1 2'],
    ['trailing space', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2 '],
    ['space before the protocol', 'PROXY  TCP4 1.2.3.4 5.6.7.8 1 2'],
    ['missing field', 'PROXY TCP4 1.2.3.4 5.6.7.8 1'],
    ['extra field', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3'],
    ['tab separator', 'PROXY TCP4 1.2.3.4\t5.6.7.8 1 2'],
    ['unknown protocol', 'PROXY TCP5 1.2.3.4 5.6.7.8 1 2'],
    ['lower-case protocol', 'PROXY tcp4 1.2.3.4 5.6.7.8 1 2'],
    ['empty protocol', 'PROXY '],
    ['UNKNOWN glued to more', 'PROXY UNKNOWNX'],
    ['IPv4 leading zero', 'PROXY TCP4 01.2.3.4 5.6.7.8 1 2'],
    ['IPv4 octet above 255', 'PROXY TCP4 1.2.3.256 5.6.7.8 1 2'],
    ['IPv4 with three parts', 'PROXY TCP4 1.2.3 5.6.7.8 1 2'],
    ['IPv6 address under TCP4', 'PROXY TCP4 ::1 5.6.7.8 1 2'],
    ['IPv4 address under TCP6', 'PROXY TCP6 ::1 5.6.7.8 1 2'],
    ['IPv6 with a zone', 'PROXY TCP6 fe80::1%eth0 ::1 1 2'],
    ['IPv6 in brackets', 'PROXY TCP6 [::1] ::1 1 2'],
    ['host name', 'PROXY TCP4 localhost 5.6.7.8 1 2'],
    ['port with +', 'PROXY TCP4 1.2.3.4 5.6.7.8 +1 2'],
    ['port with -', 'PROXY TCP4 1.2.3.4 5.6.7.8 -1 2'],
    ['port with leading zero', 'PROXY TCP4 1.2.3.4 5.6.7.8 080 2'],
    ['port above 65535', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 65536'],
    ['port with six digits', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 100000'],
    ['port in hex', 'PROXY TCP4 1.2.3.4 5.6.7.8 0x50 2'],
    ['port with a fraction', 'PROXY TCP4 1.2.3.4 5.6.7.8 1.0 2'],
    ['non-ASCII byte', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\u00e9'],
    ['NUL byte', 'PROXY TCP4 1.2.3.4\u00005.6.7.8 1 2'],
  ])('rejects a v1 line with: %s', (_what, line) => {
    expect(expectError(latin1(line + '\r\n'))).not.toBe(NOT_A_PROXY_HEADER);
  });
});

describe('PROXY protocol v2', () => {
  it('parses PROXY TCP over IPv4 and consumes 16 + length bytes', () => {
    const header = v2(VER2_PROXY, TCP4, tcp4Body('192.0.2.1', '198.51.100.2', 56324, 443));
    const result = expectOk(parseProxyHeader(Buffer.concat([header, latin1('GET / HTTP/1.1\r\n')])));
    expect(result.consumed).toBe(28);
    expect(result.header).toEqual({
      command: 'proxy',
      version: 2,
      source: { address: '192.0.2.1', port: 56324, family: 'IPv4' },
      destination: { address: '198.51.100.2', port: 443, family: 'IPv4' },
    });
  });

  it('parses PROXY TCP over IPv6, canonical and IPv4-mapped addresses included', () => {
    const body = [
      ...ipv6([0x2001, 0x0db8, 0, 0, 0, 0, 0, 0x0001]),
      ...ipv6([0, 0, 0, 0, 0, 0xffff, 0xc633, 0x6402]),
      ...u16(40000),
      ...u16(8443),
    ];
    const result = expectOk(parseProxyHeader(v2(VER2_PROXY, TCP6, body)));
    expect(result.consumed).toBe(16 + 36);
    expect(result.header).toEqual({
      command: 'proxy',
      version: 2,
      source: { address: '2001:db8::1', port: 40000, family: 'IPv6' },
      destination: { address: '::ffff:198.51.100.2', port: 8443, family: 'IPv6' },
    });
  });

  it('skips TLVs after the addresses (ALPN, AUTHORITY, CRC32C, NOOP, UNIQUE_ID, SSL with sub-TLVs, custom)', () => {
    const ssl = [0x01, 0, 0, 0, 0, ...tlv(0x21, 'TLSv1.3'), ...tlv(0x23, 'TLS_AES_128_GCM_SHA256')];
    const body = [
      ...tcp4Body('203.0.113.9', '10.0.0.1', 1234, 80),
      ...tlv(0x01, 'h2'),
      ...tlv(0x02, 'example.com'),
      ...tlv(0x03, [0xde, 0xad, 0xbe, 0xef]),
      ...tlv(0x04, []),
      ...tlv(0x05, 'id-1'),
      ...tlv(0x20, ssl),
      ...tlv(0xea, [0x01, 0x02]),
    ];
    const result = expectOk(parseProxyHeader(Buffer.concat([v2(VER2_PROXY, TCP4, body), latin1('\x16\x03\x01')])));
    expect(result.consumed).toBe(16 + body.length);
    expect(result.header).toMatchObject({ command: 'proxy', source: { address: '203.0.113.9', port: 1234 } });
  });

  it('accepts the largest header the length field allows', () => {
    const padding = tlv(0x04, new Array(0xffff - 12 - 3).fill(0));
    const result = expectOk(parseProxyHeader(v2(VER2_PROXY, TCP4, [...tcp4Body('192.0.2.1', '192.0.2.2', 1, 2), ...padding])));
    expect(result.consumed).toBe(16 + 0xffff);
  });

  it('treats LOCAL as local whatever family and address block it carries', () => {
    expect(parseProxyHeader(v2(VER2_LOCAL, UNSPEC, []))).toEqual({ kind: 'ok', header: { command: 'local', version: 2 }, consumed: 16 });
    const withAddresses = v2(VER2_LOCAL, TCP4, tcp4Body('192.0.2.1', '192.0.2.2', 1, 2));
    expect(parseProxyHeader(withAddresses)).toEqual({ kind: 'ok', header: { command: 'local', version: 2 }, consumed: 28 });
    // "must not assume zero is presented for LOCAL connections": the length is still skipped.
    expect(parseProxyHeader(v2(VER2_LOCAL, TCP4, []))).toEqual({ kind: 'ok', header: { command: 'local', version: 2 }, consumed: 16 });
  });

  it('falls back to the real peer for UNSPEC, UNIX and DGRAM (no usable TCP client address)', () => {
    const local = { command: 'local', version: 2 };
    expect(expectOk(parseProxyHeader(v2(VER2_PROXY, UNSPEC, [1, 2, 3]))).header).toEqual(local);
    expect(expectOk(parseProxyHeader(v2(VER2_PROXY, UNIX_STREAM, new Array(216).fill(0x41)))).header).toEqual(local);
    expect(expectOk(parseProxyHeader(v2(VER2_PROXY, UDP4, tcp4Body('192.0.2.1', '192.0.2.2', 53, 53)))).header).toEqual(local);
  });

  it('is incomplete for every prefix of a valid header, TLVs included', () => {
    expectEveryPrefixIncomplete(v2(VER2_PROXY, TCP4, [...tcp4Body('192.0.2.1', '192.0.2.2', 1, 2), ...tlv(0x02, 'a.example')]));
    expectEveryPrefixIncomplete(v2(VER2_LOCAL, UNSPEC, []));
  });

  it('rejects a signature that differs in any byte, as soon as that byte arrives', () => {
    const good = v2(VER2_PROXY, TCP4, tcp4Body('192.0.2.1', '192.0.2.2', 1, 2));
    for (let i = 0; i < 12; i++) {
      const bad = Buffer.from(good);
      bad[i] = bad[i]! ^ 0x01;
      expect(expectError(bad.subarray(0, i + 1))).toBe(NOT_A_PROXY_HEADER);
      expect(expectError(bad)).toBe(NOT_A_PROXY_HEADER);
    }
  });

  it.each([
    ['version 1 in the binary format', 0x11, TCP4],
    ['version 3', 0x31, TCP4],
    ['command 2', 0x22, TCP4],
    ['command 0xF', 0x2f, TCP4],
    ['family 4', VER2_PROXY, 0x41],
    ['protocol 3', VER2_PROXY, 0x13],
  ])('rejects %s as soon as the byte arrives', (_what, verCmd, famProto) => {
    const header = v2(verCmd, famProto, tcp4Body('192.0.2.1', '192.0.2.2', 1, 2));
    const firstBad = verCmd !== VER2_PROXY ? 13 : 14;
    expect(expectError(header.subarray(0, firstBad))).not.toBe(NOT_A_PROXY_HEADER);
    expect(expectError(header)).not.toBe(NOT_A_PROXY_HEADER);
  });

  it('rejects a length shorter than the family’s address block', () => {
    expect(expectError(v2(VER2_PROXY, TCP4, tcp4Body('192.0.2.1', '192.0.2.2', 1, 2).slice(0, 11)))).toMatch(/shorter than the address block/);
    expect(expectError(v2(VER2_PROXY, TCP6, tcp4Body('192.0.2.1', '192.0.2.2', 1, 2)))).toMatch(/shorter than the address block/);
    expect(expectError(v2(VER2_PROXY, UNIX_STREAM, new Array(215).fill(0)))).toMatch(/shorter than the address block/);
  });

  it('rejects TLVs that do not tile the rest of the header exactly', () => {
    const addresses = tcp4Body('192.0.2.1', '192.0.2.2', 1, 2);
    // Two stray bytes: too short for a TLV's type + length.
    expect(expectError(v2(VER2_PROXY, TCP4, [...addresses, 0x01, 0x00]))).toMatch(/TLV header is truncated/);
    // A TLV claiming 5 value bytes with 2 left in the header.
    expect(expectError(v2(VER2_PROXY, TCP4, [...addresses, 0x02, 0x00, 0x05, 0x61, 0x62]))).toMatch(/TLV value runs past/);
    // A valid TLV, then a second whose length runs past the end.
    expect(expectError(v2(VER2_PROXY, TCP4, [...addresses, ...tlv(0x01, 'h2'), 0x02, 0xff, 0xff]))).toMatch(/TLV value runs past/);
  });

  it('waits for the whole length even when the bytes behind it look like a request', () => {
    const header = v2(VER2_PROXY, TCP4, tcp4Body('192.0.2.1', '192.0.2.2', 1, 2), 40);
    expect(parseProxyHeader(Buffer.concat([header, latin1('GET / HTTP/1.1\r\n')]))).toEqual({ kind: 'incomplete' });
  });
});

describe('input that is no PROXY header', () => {
  it.each([
    ['an HTTP/1.1 request', latin1('GET / HTTP/1.1\r\nHost: a\r\n\r\n')],
    ['a POST', latin1('POST / HTTP/1.1\r\n')],
    ['an HTTP/2 preface', latin1('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')],
    ['a TLS ClientHello', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03])],
    ['lower-case proxy', latin1('proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n')],
    ['PROXY without its space', latin1('PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n')],
    ['CRLF CRLF then HTTP', latin1('\r\n\r\nGET / HTTP/1.1\r\n')],
  ])('rejects %s on the first byte that rules both versions out', (_what, input) => {
    expect(expectError(input)).toBe(NOT_A_PROXY_HEADER);
    let firstError = -1;
    for (let n = 1; n <= input.length && firstError === -1; n++) if (parseProxyHeader(input.subarray(0, n)).kind === 'error') firstError = n;
    // The longest common prefix with either signature is at most 5 ("PROXY") or 4 ("\r\n\r\n") bytes.
    expect(firstError).toBeGreaterThan(0);
    expect(firstError).toBeLessThanOrEqual(6);
  });

  it('is incomplete on no bytes', () => {
    expect(parseProxyHeader(Buffer.alloc(0))).toEqual({ kind: 'incomplete' });
  });
});

describe('encodeProxyHeader (what Sluice sends to backends)', () => {
  const v4 = { address: '198.51.100.7', port: 40000 };
  const v4dst = { address: '10.0.0.1', port: 5432 };

  it('writes the v1 line of the spec', () => {
    expect(encodeProxyHeader(1, v4, v4dst).toString('latin1')).toBe('PROXY TCP4 198.51.100.7 10.0.0.1 40000 5432\r\n');
    expect(encodeProxyHeader(1, { address: '2001:db8::1', port: 1 }, { address: '::1', port: 2 }).toString('latin1')).toBe('PROXY TCP6 2001:db8::1 ::1 1 2\r\n');
  });

  it('writes the v2 bytes of the spec: signature, PROXY command, TCP4, addresses, ports', () => {
    expect([...encodeProxyHeader(2, v4, v4dst)]).toEqual([...SIGNATURE, VER2_PROXY, TCP4, ...u16(12), ...ipv4('198.51.100.7'), ...ipv4('10.0.0.1'), ...u16(40000), ...u16(5432)]);
  });

  it('round-trips through the parser for both versions and families, IPv4-mapped IPv6 as IPv4', () => {
    const cases = [
      [v4, v4dst],
      [{ address: '2001:db8:0:0:1::2', port: 443 }, { address: 'fe80::1:2:3:4', port: 8443 }],
      [{ address: '::ffff:192.0.2.9', port: 7 }, { address: '::ffff:10.1.2.3', port: 8 }],
    ] as const;
    for (const version of [1, 2] as const) {
      for (const [source, destination] of cases) {
        const parsed = parseProxyHeader(encodeProxyHeader(version, source, destination));
        if (parsed.kind !== 'ok' || parsed.header.command !== 'proxy') throw new Error(`v${version} ${source.address}: ${JSON.stringify(parsed)}`);
        expect(parsed.header.version).toBe(version);
        expect(parsed.header.source.port).toBe(source.port);
        expect(parsed.header.destination.port).toBe(destination.port);
        expect(parsed.header.source.address).toBe(source.address.replace(/^::ffff:(?=\d)/, '').replace('2001:db8:0:0:1::2', '2001:db8::1:0:0:2'));
      }
    }
  });

  it('says UNKNOWN (v1) or LOCAL (v2) when the two ends are not of one family', () => {
    const mixed = [{ address: '::ffff:192.0.2.1', port: 1 }, { address: '2001:db8::1', port: 2 }] as const;
    expect(encodeProxyHeader(1, ...mixed).toString('latin1')).toBe('PROXY UNKNOWN\r\n');
    expect(parseProxyHeader(encodeProxyHeader(2, ...mixed))).toMatchObject({ kind: 'ok', header: { command: 'local', version: 2 } });
    expect(parseProxyHeader(encodeProxyHeader(1, ...mixed))).toMatchObject({ kind: 'ok', header: { command: 'local', version: 1 } });
  });
});
