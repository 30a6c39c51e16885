import type { Config } from '../config/config.js';

/** The socket port a listener's logical port is served on: 80 → --http-port, 443 → --https-port. */
export function socketPortFor(listenerPort: number, config: Pick<Config, 'httpPort' | 'httpsPort'>): number {
  if (listenerPort === 80) return config.httpPort;
  if (listenerPort === 443) return config.httpsPort;
  return listenerPort;
}
