// `npm run demo:canary`: backends "stable" and "canary" on 127.0.0.1 and Sluice serving
// examples/canary (Gateway API HTTPRoute with weights).
import { join } from 'node:path';
import { runExample } from './example.js';

await runExample({
  name: 'canary',
  backends: [
    ['stable', 9201],
    ['canary', 9202],
  ],
  usage: (base, adminPort, manifests) => `
Sluice canary example: backends stable (:9201) and canary (:9202); Sluice on ${base}, admin on :${adminPort}.
The HTTPRoute in examples/canary/route.yaml sends 90% to stable and 10% to canary.

  # count where 1000 requests land (about 900 stable, 100 canary):
  for i in $(seq 1000); do curl -s -H 'Host: shop.localhost' ${base}/; done | grep -o '"backend":"[a-z]*"' | sort | uniq -c

  curl -H 'Host: shop.localhost' -H 'X-Canary: always' ${base}/   # always canary
  curl http://127.0.0.1:${adminPort}/debug/routes                   # the table and the Gateway API statuses

Edit the weights in ${join(manifests, 'route.yaml')} while this runs: the new split is live within a second.
Press Ctrl-C to stop.
`,
});
