// Bounded waiting for e2e and integration tests: one polling helper, one sleep, one free port.
import { createServer } from 'node:net';

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Polls `check` until it yields a value (anything but undefined or false) and returns it;
 * throws after `timeoutMs`, naming `what` and the last error `check` threw (errors count as
 * "not yet").
 */
export async function eventually<T>(what: string, check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 20_000, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? `: ${last.message}` : last ? `: ${String(last)}` : ''}`);
    await sleep(intervalMs);
  }
}

/** Ports freePort() gave out in this test file: the kernel may offer a just-closed one again. */
const handedOut = new Set<number>();

/**
 * A port nothing listens on now, never one this file was given before (three calls in a row
 * once returned the same port twice, and a Sluice given it for two sockets refused to start).
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await unusedPort(host);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('freePort: the kernel kept offering ports this file already has');
}

function unusedPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
