// TLSRoute: TLS streams routed by the SNI name of the ClientHello, passed through untouched
// (listener protocol TLS, tls.mode Passthrough). Its hostnames are required (v1: at least one)
// and follow the HTTPRoute rules: exact, or "*." covering one or more leading labels.
import type { TLSRoute } from '../../api/gateway.js';
import { problem, type Verdict } from './conditions.js';
import { checkHostname } from './hostnames.js';
import type { L4Kind } from './l4routes.js';

export const TLS_ROUTE: L4Kind<TLSRoute> = {
  kind: 'TLSRoute',
  idPrefix: 'tlsroute',
  hostnames(route) {
    const hostnames: string[] = [];
    let unsupported: Verdict | undefined;
    for (const h of route.spec?.hostnames ?? []) {
      const lower = h.toLowerCase();
      const bad = checkHostname(lower);
      if (bad) unsupported ??= problem('UnsupportedValue', `hostname ${JSON.stringify(h)} ${bad}`);
      else if (!hostnames.includes(lower)) hostnames.push(lower);
    }
    return unsupported ? { hostnames, unsupported } : { hostnames };
  },
};
