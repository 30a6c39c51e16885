// The edge settings every request and connection reads, built once from the config: path
// normalization options, whom to trust for forwarding headers, the body limit, and (with
// --proxy-protocol) the connection gate that reads PROXY headers from trusted peers only.
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { EdgeConfig } from '../../config/config.js';
import type { Metrics } from '../../metrics.js';
import type { EdgeSettings } from '../context.js';
import { acceptProxyHeader, ProxyHeaderRejected, proxiedPeer } from './proxy-protocol.js';
import { createTrustedMatcher } from './trusted.js';
import { connectionSocket } from './version.js';

export interface Edge {
  readonly settings: EdgeSettings;
  /** Runs on every new data-plane connection before HTTP/TLS; undefined without --proxy-protocol. */
  readonly gate: ((socket: Socket) => Promise<void>) | undefined;
}

const fromProxyHeader = (req: IncomingMessage): string | undefined => proxiedPeer(connectionSocket(req))?.address;
const none = (): undefined => undefined;

export function createEdge(edge: EdgeConfig, metrics: Metrics): Edge {
  const isTrusted = edge.trustedProxies.length > 0 ? createTrustedMatcher(edge.trustedProxies) : undefined;
  const settings: EdgeSettings = {
    paths: { mergeSlashes: edge.mergeSlashes, escapedSlashes: edge.escapedSlashes },
    trust: isTrusted ? { isTrusted, hops: edge.trustedHops } : undefined,
    maxRequestBodyBytes: edge.maxRequestBodyBytes,
    proxiedPeer: edge.proxyProtocol ? fromProxyHeader : none,
  };
  if (!edge.proxyProtocol || !isTrusted) return { settings, gate: undefined };
  // The PROXY header gets the same time as a request head; the HTTP/TLS timers start after it.
  const options = { timeoutMs: edge.headerTimeoutMs, isTrusted };
  const gate = async (socket: Socket): Promise<void> => {
    try {
      await acceptProxyHeader(socket, options);
    } catch (err) {
      metrics.proxyProtocolErrors.labels(err instanceof ProxyHeaderRejected ? err.reason : 'malformed').inc();
      throw err;
    }
  };
  return { settings, gate };
}
