// `npm run demo:traffic-policy`: three endpoints each for Services api and cart on 127.0.0.1-3,
// and Sluice serving examples/traffic-policy (BackendTrafficPolicy: least request, health
// checks, outlier detection, retries, circuit breaker; cookie session persistence).
import { join } from 'node:path';
import { runExample } from './example.js';

const hosts = ['127.0.0.1', '127.0.0.2', '127.0.0.3'];

await runExample({
  name: 'traffic-policy',
  backends: [...hosts.map((h, i) => [`api-${i}`, 9301, h] as const), ...hosts.map((h, i) => [`cart-${i}`, 9302, h] as const)],
  usage: (base, adminPort, manifests) => `
Sluice traffic-policy example: api-0..2 and cart-0..2 on 127.0.0.1-3 (:9301, :9302); Sluice on ${base}, admin on :${adminPort}.

  # least request over api-0, api-1, api-2:
  for i in $(seq 30); do curl -s -H 'Host: api.localhost' ${base}/; done | grep -o '"backend":"[a-z0-9-]*"' | sort | uniq -c

  curl -s http://127.0.0.2:9301/_fault/health/down    # api-1 fails its /health: out after 3 probes
  curl -s http://127.0.0.2:9301/_fault/health/up      # back after 2 passing probes
  curl -s http://127.0.0.3:9301/_fault/errors/on      # api-2 answers 503: retried, then ejected
  curl -s http://127.0.0.1:${adminPort}/debug/routes             # algorithm, policy and health per endpoint

  # cart pins you to one endpoint by the cart-session cookie:
  curl -si -c /tmp/jar -H 'Host: cart.localhost' ${base}/ | grep -i set-cookie
  for i in $(seq 5); do curl -s -b /tmp/jar -H 'Host: cart.localhost' ${base}/ | grep -o '"backend":"[a-z0-9-]*"'; done

Edit ${join(manifests, 'policy.yaml')} while this runs: the new policy is live within a second.
Press Ctrl-C to stop.
`,
});
