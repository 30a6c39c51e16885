// A TLS passthrough listener (TLSRoute): read the ClientHello (hello-reader.ts) without
// answering it, route by its SNI name, then replay it to the endpoint and splice. Sluice never
// speaks TLS here: a connection without SNI, with a name no route serves, with bytes that are
// not a ClientHello, one larger than MAX_CLIENT_HELLO_BYTES, or that stays silent past the
// handshake timeout is reset, and counted by reason.
import type { Socket } from 'node:net';
import { readHello } from './hello-reader.js';
import type { SniRouter } from './l4-table.js';
import { forward, type L4Context, rejectConnection } from './session.js';

export function acceptPassthrough(ctx: L4Context, client: Socket, name: string, sni: SniRouter, handshakeMs: number): void {
  readHello(client, handshakeMs, (read) => {
    if (read.kind === 'rejected') return rejectConnection(ctx, client, name, read.reason);
    if (read.serverName === undefined) return rejectConnection(ctx, client, name, 'no_sni');
    const route = sni.match(read.serverName);
    if (!route) return rejectConnection(ctx, client, name, 'unknown_sni');
    forward(ctx, client, name, route, read.data);
  });
}

/**
 * Ingress passthrough on an HTTPS socket: a hello whose SNI a passthrough route serves is
 * spliced (resolves true); every other connection is handed back, its bytes unshifted, to be
 * terminated by the socket's own TLS server (resolves false) — which answers a hello that is
 * not one, or has no SNI, as it always does. A client that leaves or stays silent is dropped.
 */
export function takePassthrough(ctx: L4Context, client: Socket, name: string, sni: SniRouter, handshakeMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    readHello(client, handshakeMs, (read) => {
      const route = read.kind === 'hello' && read.serverName !== undefined ? sni.match(read.serverName) : undefined;
      if (route) {
        forward(ctx, client, name, route, read.data);
        return resolve(true);
      }
      if (read.data === undefined) {
        // Left, or silent past the handshake timeout: nothing to hand on.
        rejectConnection(ctx, client, name, read.kind === 'rejected' ? read.reason : 'client_closed');
        return resolve(true);
      }
      client.unshift(read.data);
      resolve(false);
    });
  });
}
