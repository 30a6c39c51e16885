// TCP check: the endpoint passes when a connection to it opens within the timeout; the
// connection is closed at once. Plain TCP even to a TLS cluster: the check is that the port
// accepts connections, no bytes are sent.
import { connect } from 'node:net';
import type { ProbeOutcome, ProbeResult, ProbeTarget } from './probe.js';

export function tcpProbe(target: ProbeTarget, timeoutMs: number, signal: AbortSignal): Promise<ProbeOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const socket = connect({ host: target.address, port: target.port });
    const settle = (result: ProbeResult, detail?: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(detail === undefined ? { result } : { result, detail });
    };
    const onAbort = (): void => settle('error');
    const timer = setTimeout(() => settle('timeout'), timeoutMs);
    timer.unref();
    socket.once('connect', () => settle('success'));
    socket.on('error', (err) => settle('error', err.message));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
