// Two TCP sockets joined byte for byte. Both are half-open capable (allowHalfOpen): a FIN from
// one side ends only the other side's writing, so a client that shuts down its sending half
// still receives everything the backend has to say, and the other way round. pipe() carries
// backpressure both ways. An error on either side, or no byte either way for idleMs, destroys
// both. Bytes are read from the sockets' own counters when the pair closes: nothing is counted
// per chunk.
import type { Socket } from 'node:net';

export interface SpliceOptions {
  /** Silence (no byte read or written on the client socket) after which both sockets are closed; 0: never. */
  readonly idleMs: number;
  /** Once, when both sockets have closed: bytes client → endpoint and endpoint → client. */
  readonly onClose: (upstreamBytes: number, downstreamBytes: number) => void;
}

export function splice(client: Socket, upstream: Socket, o: SpliceOptions): void {
  let open = 2;
  const destroyBoth = (): void => {
    client.destroy();
    upstream.destroy();
  };
  const closed = (hadError: boolean): void => {
    // A socket closed by an error (or destroyed) takes its peer down; a clean close means both
    // of its halves ended, which pipe() has already passed on.
    if (hadError) destroyBoth();
    if (--open === 0) o.onClose(client.bytesRead, client.bytesWritten);
  };
  client.on('error', destroyBoth);
  upstream.on('error', destroyBoth);
  client.once('close', closed);
  upstream.once('close', closed);
  // A peer that went away without a FIN (destroyed, or reset) ends the other side too.
  client.once('close', () => upstream.destroyed || upstream.end());
  upstream.once('close', () => client.destroyed || client.end());
  if (o.idleMs > 0) {
    client.setTimeout(o.idleMs);
    client.on('timeout', destroyBoth);
  }
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  client.pipe(upstream);
  upstream.pipe(client);
}
