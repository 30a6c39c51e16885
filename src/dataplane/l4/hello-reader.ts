// Collects a client's ClientHello off a just-accepted socket (sni.ts parses it), bounded in
// size (MAX_CLIENT_HELLO_BYTES) and time (the TLS handshake timeout). Reads with 'readable' +
// read(), never 'data' + pause(): the caller may hand the socket on to node's TLS server with
// the bytes unshifted (Ingress passthrough on the HTTPS socket), and an explicitly paused socket
// would stay paused there. Leaves no listener or timer behind; never destroys the socket.
import type { Socket } from 'node:net';
import type { L4Reject } from './session.js';
import { MAX_CLIENT_HELLO_BYTES, readClientHello } from './sni.js';

export type HelloOutcome =
  /** A whole ClientHello: `data` is every byte read so far (to replay); serverName lower-case. */
  | { readonly kind: 'hello'; readonly data: Buffer; readonly serverName: string | undefined }
  /** Not a usable hello; `data`: what was read (absent when the client left or stayed silent). */
  | { readonly kind: 'rejected'; readonly reason: L4Reject; readonly data?: Buffer };

export function readHello(client: Socket, timeoutMs: number, done: (outcome: HelloOutcome) => void): void {
  let data: Buffer | undefined;
  const finish = (outcome: HelloOutcome): void => {
    clearTimeout(timer);
    client.removeListener('readable', onReadable);
    client.removeListener('end', onGone);
    client.removeListener('close', onGone);
    client.removeListener('error', ignore);
    done(outcome);
  };
  const onGone = (): void => finish({ kind: 'rejected', reason: 'client_closed' });
  const onReadable = (): void => {
    let chunk: Buffer | null;
    while ((chunk = client.read() as Buffer | null) !== null) {
      // A hello is one or two segments: concatenating is cheaper than tracking parts.
      data = data === undefined ? chunk : Buffer.concat([data, chunk]);
      const read = readClientHello(data);
      if (read.kind === 'hello') return finish({ kind: 'hello', data, serverName: read.serverName });
      if (read.kind === 'rejected') return finish({ kind: 'rejected', reason: read.reason, data });
      if (data.length >= MAX_CLIENT_HELLO_BYTES) return finish({ kind: 'rejected', reason: 'client_hello_too_large', data });
    }
  };
  const timer = setTimeout(() => finish({ kind: 'rejected', reason: 'handshake_timeout' }), timeoutMs);
  client.on('readable', onReadable);
  client.once('end', onGone);
  client.once('close', onGone);
  client.on('error', ignore); // 'close' follows
}

function ignore(): void {}
