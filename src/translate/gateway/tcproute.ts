// TCPRoute: every connection of a TCP listener goes to the route's backends (weighted); there
// is nothing to match, so a listener serves one route (the oldest attached, l4routes.ts).
import type { TCPRoute } from '../../api/gateway.js';
import type { L4Kind } from './l4routes.js';

export const TCP_ROUTE: L4Kind<TCPRoute> = {
  kind: 'TCPRoute',
  idPrefix: 'tcproute',
  hostnames: () => ({ hostnames: [] }),
};
