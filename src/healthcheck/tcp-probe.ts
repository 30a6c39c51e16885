// TCP check: the endpoint passes when a connection to it opens within the timeout; the
// connection is closed at once.
import { connect } from 'node:net';
import type { ProbeResult, ProbeTarget } from './probe.js';

export function tcpProbe(target: ProbeTarget, timeoutMs: number, signal: AbortSignal): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const socket = connect({ host: target.address, port: target.port });
    const settle = (result: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(result);
    };
    const onAbort = (): void => settle('error');
    const timer = setTimeout(() => settle('timeout'), timeoutMs);
    timer.unref();
    socket.once('connect', () => settle('success'));
    socket.on('error', () => settle('error'));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
