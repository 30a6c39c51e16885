// The ClientHello reader: real ClientHellos (captured from Node's TLS client), the same bytes
// cut into many TLS records and fed a byte at a time, hand-built edge cases, and junk (random
// bytes, truncations and single-byte corruptions of a real hello), which must never throw.
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { MAX_CLIENT_HELLO_BYTES, readClientHello } from '../../../../src/dataplane/l4/sni.js';

/** The first flight a real TLS client sends for `servername` ('' = no SNI). */
function captureClientHello(servername: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const server = createServer((s) => {
      const chunks: Buffer[] = [];
      s.on('data', (d: Buffer) => {
        chunks.push(d);
        const all = Buffer.concat(chunks);
        if (all.length >= 5 && all.length >= 5 + all.readUInt16BE(3)) {
          resolve(all);
          s.destroy();
          server.close();
        }
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      const c = tlsConnect({ host: '127.0.0.1', port, servername, rejectUnauthorized: false });
      c.on('error', () => undefined);
    });
    server.on('error', reject);
  });
}

/** Re-frames the handshake bytes of one record into records of at most `size` bytes each. */
function fragment(hello: Buffer, size: number): Buffer {
  const body = hello.subarray(5, 5 + hello.readUInt16BE(3));
  const out: Buffer[] = [];
  for (let at = 0; at < body.length; at += size) {
    const part = body.subarray(at, at + size);
    const header = Buffer.from([22, 3, 1, 0, 0]);
    header.writeUInt16BE(part.length, 3);
    out.push(header, part);
  }
  return Buffer.concat(out);
}

/** A minimal ClientHello record with the given extensions block (undefined: none at all). */
function hello(extensions: Buffer | undefined): Buffer {
  const body = Buffer.concat([
    Buffer.from([3, 3]), Buffer.alloc(32, 7), Buffer.from([0]), // version, random, empty session id
    Buffer.from([0, 2, 0x13, 0x01]), Buffer.from([1, 0]), // one cipher suite, null compression
    ...(extensions ? [u16(extensions.length), extensions] : []),
  ]);
  const hs = Buffer.concat([Buffer.from([1, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
  return Buffer.concat([Buffer.from([22, 3, 1]), u16(hs.length), hs]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function sniExtension(...names: string[]): Buffer {
  const list = Buffer.concat(names.map((n) => Buffer.concat([Buffer.from([0]), u16(n.length), Buffer.from(n, 'latin1')])));
  const data = Buffer.concat([u16(list.length), list]);
  return Buffer.concat([u16(0), u16(data.length), data]);
}

describe('readClientHello', () => {
  it('reads the SNI name of a real ClientHello, and none when the client sent none', async () => {
    expect(readClientHello(await captureClientHello('app.example.com'))).toEqual({ kind: 'hello', serverName: 'app.example.com' });
    expect(readClientHello(await captureClientHello(''))).toEqual({ kind: 'hello', serverName: undefined });
  });

  it('reads a ClientHello cut into many TLS records, and asks for more until it is whole', async () => {
    const real = await captureClientHello('fragmented.example.com');
    for (const size of [1, 7, 64, 200]) {
      const cut = fragment(real, size);
      expect(readClientHello(cut)).toEqual({ kind: 'hello', serverName: 'fragmented.example.com' });
      // Arriving a byte at a time: incomplete on every proper prefix, never an error.
      for (let n = 0; n < cut.length; n += Math.max(1, Math.floor(cut.length / 97))) {
        expect(readClientHello(cut.subarray(0, n))).toEqual({ kind: 'incomplete' });
      }
    }
  });

  it("reads a Go crypto/tls ClientHello (the conformance suite's client), arriving in TCP segments", () => {
    // Captured from go1.26.8 tls.Dial with ServerName abc.example.com: 1507 bytes in one record,
    // with an X25519MLKEM768 key share (group 0x11ec), so larger than one Ethernet segment.
    const hex = readFileSync(new URL('./fixtures/go1.26-client-hello.hex', import.meta.url), 'latin1');
    const go = Buffer.from(hex.replace(/\s/g, ''), 'hex');
    expect(go.length).toBe(1507);
    expect(go.includes(Buffer.from([0x11, 0xec]))).toBe(true);
    expect(readClientHello(go)).toEqual({ kind: 'hello', serverName: 'abc.example.com' });
    // Split as a 1448-byte MSS would split it: the first segment alone is not yet a hello.
    expect(readClientHello(go.subarray(0, 1448))).toEqual({ kind: 'incomplete' });
    expect(readClientHello(fragment(go, 512))).toEqual({ kind: 'hello', serverName: 'abc.example.com' });
  });

  it('lower-cases the name and ignores other name types', () => {
    const other = Buffer.concat([Buffer.from([1]), u16(3), Buffer.from('abc')]);
    const list = Buffer.concat([other, Buffer.from([0]), u16(15), Buffer.from('App.Example.COM')]);
    const data = Buffer.concat([u16(list.length), list]);
    const ext = Buffer.concat([u16(0), u16(data.length), data]);
    expect(readClientHello(hello(ext))).toEqual({ kind: 'hello', serverName: 'app.example.com' });
    expect(readClientHello(hello(undefined))).toEqual({ kind: 'hello', serverName: undefined });
    expect(readClientHello(hello(Buffer.alloc(0)))).toEqual({ kind: 'hello', serverName: undefined });
  });

  it('rejects what is not a well-formed ClientHello, by reason', () => {
    expect(readClientHello(Buffer.from('GET / HTTP/1.1\r\n'))).toEqual({ kind: 'rejected', reason: 'not_tls' });
    expect(readClientHello(Buffer.from([22, 9, 9, 0, 1]))).toEqual({ kind: 'rejected', reason: 'not_tls' });
    const malformed = { kind: 'rejected', reason: 'malformed_client_hello' };
    expect(readClientHello(hello(Buffer.concat([sniExtension('a.example.com'), sniExtension('b.example.com')])))).toEqual(malformed);
    expect(readClientHello(hello(sniExtension('a.example.com', 'b.example.com')))).toEqual(malformed);
    expect(readClientHello(hello(sniExtension('bad name.example.com')))).toEqual(malformed);
    expect(readClientHello(hello(sniExtension('trailing.dot.')))).toEqual(malformed);
    expect(readClientHello(hello(sniExtension('')))).toEqual(malformed);
    // A ServerHello (type 2) where a ClientHello belongs.
    const serverHello = hello(undefined);
    serverHello[5] = 2;
    expect(readClientHello(serverHello)).toEqual(malformed);
    // A record longer than TLS allows.
    expect(readClientHello(Buffer.from([22, 3, 1, 0x48, 0x01, 1]))).toEqual(malformed);
  });

  it('gives up on a ClientHello larger than the limit, before it is whole', () => {
    const huge = Buffer.from([22, 3, 1, 0x40, 0x00, 1, 0x01, 0x00, 0x00]); // says 64 KiB of handshake
    expect(readClientHello(huge)).toEqual({ kind: 'rejected', reason: 'client_hello_too_large' });
    expect(MAX_CLIENT_HELLO_BYTES).toBe(16 * 1024);
  });

  it('never throws on junk: random bytes, truncations and corruptions of a real hello', async () => {
    const real = await captureClientHello('fuzz.example.com');
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const kinds = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const junk = Buffer.from(Array.from({ length: Math.floor(rand() * 300) }, () => Math.floor(rand() * 256)));
      if (rand() < 0.5 && junk.length > 0) junk[0] = 22;
      const corrupt = Buffer.from(real);
      corrupt[Math.floor(rand() * corrupt.length)] = Math.floor(rand() * 256);
      for (const input of [junk, corrupt, real.subarray(0, Math.floor(rand() * real.length))]) {
        const read = readClientHello(input);
        kinds.add(read.kind);
        expect(['incomplete', 'hello', 'rejected']).toContain(read.kind);
      }
    }
    // The corpus reaches every outcome, so the loop tests something.
    expect([...kinds].sort()).toEqual(['hello', 'incomplete', 'rejected']);
  });
});
