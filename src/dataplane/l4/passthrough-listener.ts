// A TLS passthrough listener (TLSRoute): read the ClientHello (sni.ts) without answering it,
// route by its SNI name, then replay it to the endpoint and splice. Sluice never speaks TLS
// here: a connection without SNI, with a name no route serves, with bytes that are not a
// ClientHello, one larger than MAX_CLIENT_HELLO_BYTES, or that stays silent past the handshake
// timeout is reset, and counted by reason.
import type { Socket } from 'node:net';
import type { CompiledL4Listener } from './l4-table.js';
import { forward, type L4Context, rejectConnection } from './session.js';
import { MAX_CLIENT_HELLO_BYTES, readClientHello } from './sni.js';

export function acceptPassthrough(ctx: L4Context, client: Socket, l: CompiledL4Listener, handshakeMs: number): void {
  const name = l.listener.name;
  const chunks: Buffer[] = [];
  let size = 0;
  const finish = (): void => {
    clearTimeout(timer);
    client.removeListener('data', onData);
    client.removeListener('end', onEnd);
    client.removeListener('close', onEnd);
    client.pause();
  };
  const onEnd = (): void => {
    finish();
    rejectConnection(ctx, client, name, 'client_closed');
  };
  const onData = (chunk: Buffer): void => {
    chunks.push(chunk);
    size += chunk.length;
    const data = chunks.length === 1 ? chunk : Buffer.concat(chunks, size);
    if (chunks.length > 1) chunks.splice(0, chunks.length, data);
    const read = readClientHello(data);
    if (read.kind === 'incomplete') {
      if (size >= MAX_CLIENT_HELLO_BYTES) {
        finish();
        rejectConnection(ctx, client, name, 'client_hello_too_large');
      }
      return;
    }
    finish();
    if (read.kind === 'rejected') return rejectConnection(ctx, client, name, read.reason);
    if (read.serverName === undefined) return rejectConnection(ctx, client, name, 'no_sni');
    const route = l.sni?.match(read.serverName);
    if (!route) return rejectConnection(ctx, client, name, 'unknown_sni');
    forward(ctx, client, name, route, data);
  };
  const timer = setTimeout(() => {
    finish();
    rejectConnection(ctx, client, name, 'handshake_timeout');
  }, handshakeMs);
  client.on('data', onData);
  client.once('end', onEnd);
  client.once('close', onEnd);
  client.on('error', () => undefined); // 'close' follows
}
