// A TCP listener (TCPRoute): every connection goes to the listener's one route.
import type { Socket } from 'node:net';
import type { CompiledL4Listener } from './l4-table.js';
import { forward, type L4Context, rejectConnection } from './session.js';

export function acceptTcp(ctx: L4Context, client: Socket, l: CompiledL4Listener): void {
  if (!l.route) return rejectConnection(ctx, client, l.listener.name, 'no_route');
  forward(ctx, client, l.listener.name, l.route, undefined);
}
