// `npm run demo`: three demo backends on 127.0.0.1 and Sluice on examples/demo (file provider).
import { runExample } from './example.js';

await runExample({
  name: 'demo',
  backends: [
    ['web', 9101],
    ['api', 9102],
    ['docs', 9103],
  ],
  usage: (base, adminPort) => `
Sluice demo: backends web, api and docs on 127.0.0.1:9101-9103; Sluice on ${base}, admin on :${adminPort}.
Routes come from examples/demo/*.yaml; edit them while this runs and the change is live within a second.

  curl -H 'Host: demo.localhost' ${base}/            # → web
  curl -H 'Host: demo.localhost' ${base}/api/users   # → api (its second endpoint is not ready: never used)
  curl -H 'Host: docs.localhost' ${base}/guide       # → docs
  curl -H 'Host: nothing.example' ${base}/           # → 404 no route
  curl -H 'Host: demo.localhost' ${base}/status      # → 503 (Service "status" does not exist)
  curl http://127.0.0.1:${adminPort}/debug/routes     # the installed table
  curl http://127.0.0.1:${adminPort}/metrics

Press Ctrl-C to stop.
`,
});
