// `npm run demo:edge`: the shop's backend "web" (:9401) and a forward-auth service (:9402) on
// 127.0.0.1, and Sluice serving examples/edge (RoutePolicy ipAccess, cors, forwardAuth,
// basicAuth, rateLimit; the HTTPRoute CORS filter).
import { join } from 'node:path';
import { DEMO_TOKEN, startAuthBackend } from './auth.js';
import { runExample } from './example.js';

await runExample({
  name: 'edge',
  backends: [['web', 9401]],
  servers: [() => startAuthBackend(9402)],
  usage: (base, adminPort, manifests) => `
Sluice edge example: backend web (:9401), auth service (:9402); Sluice on ${base}, admin on :${adminPort}.
Every request below goes to Host shop.localhost (see examples/edge/README.md for more).

  curl -i -H 'Host: shop.localhost' ${base}/internal                            # 200 from 127.0.0.1
  curl -i --interface 127.0.0.2 -H 'Host: shop.localhost' ${base}/internal      # 403: not in ipAccess.allow

  curl -i -H 'Host: shop.localhost' ${base}/api                                 # 401 from the auth service
  curl -i -H 'Host: shop.localhost' -H 'Authorization: Bearer ${DEMO_TOKEN}' ${base}/api   # 200, X-User-Id upstream
  curl -i -X OPTIONS -H 'Host: shop.localhost' -H 'Origin: https://app.shop.example' \\
       -H 'Access-Control-Request-Method: DELETE' ${base}/api                  # 204 preflight answered by Sluice

  curl -i -H 'Host: shop.localhost' ${base}/admin                               # 401 + WWW-Authenticate
  curl -i -u alice:wonderland -H 'Host: shop.localhost' ${base}/admin           # 200

  for i in 1 2 3 4; do curl -s -o /dev/null -w '%{http_code}\\n' -H 'Host: shop.localhost' -H 'X-Api-Key: k1' ${base}/limited; done   # 200 200 200 429

  curl http://127.0.0.1:${adminPort}/debug/routes     # each route's effective edge policy, the policies' statuses

Edit ${join(manifests, 'policies.yaml')} while this runs: the change is live within a second.
Press Ctrl-C to stop.
`,
});
