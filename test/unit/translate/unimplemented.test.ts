// Fields Sluice does not implement are reported on the objects it serves, never dropped silently;
// objects it does not serve are not its business.
import { describe, expect, it } from '@jest/globals';
import { translate } from '../../../src/translate/translate.js';
import { unimplementedFields } from '../../../src/translate/unimplemented.js';
import { snapshotFromYaml } from '../support/objects.js';
import type { KubeObject } from '../../../src/api/core.js';

const YAML = `apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: { name: sluice }
spec: { controller: sluice.dev/ingress-controller, parameters: { kind: Config, name: c } }
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: shop, namespace: app }
spec:
  ingressClassName: sluice
  rules: [{ host: shop.test, http: { paths: [{ path: /, pathType: Prefix, backend: { service: { name: web, port: { number: 80 } } } }] } }]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: { name: theirs, namespace: app }
spec: { ingressClassName: nginx, futureField: true }
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: sluice }
spec: { controllerName: sluice.dev/gateway-controller }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw, namespace: app }
spec:
  gatewayClassName: sluice
  listeners: [{ name: http, port: 80, protocol: HTTP, tls: { mode: Terminate, options: { x: y } } }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ours, namespace: app }
spec:
  parentRefs: [{ name: gw }]
  rules:
    - backendRefs: [{ name: web, port: 80 }]
      retry: { attempts: 3, mode: Budget }
      sessionPersistence: { type: Cookie, cookieConfig: { lifetimeType: Session, sameSite: Strict } }
---
apiVersion: sluice.dev/v1alpha1
kind: BackendTrafficPolicy
metadata: { name: web, namespace: app }
spec:
  targetRefs: [{ group: "", kind: Service, name: web }]
  rateLimit: { requests: 10 }
  retry: { numRetries: 1, hedging: true }
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: elsewhere, namespace: app }
spec:
  parentRefs: [{ name: not-ours }]
  rules: [{ retry: { attempts: 3 } }]
`;

describe('fields Sluice does not implement', () => {
  it('are warnings on the objects Sluice serves, one per field, naming its path', () => {
    const { diagnostics } = translate(snapshotFromYaml(YAML), { ingressClass: 'sluice' });
    const reported = diagnostics.filter((d) => d.code === 'SLUICE_FIELD_NOT_IMPLEMENTED').map((d) => `${d.source.kind}/${d.source.name}: ${d.message}`);
    expect(reported.sort()).toEqual([
      'BackendTrafficPolicy/web: spec.rateLimit is not implemented by Sluice and is ignored',
      'BackendTrafficPolicy/web: spec.retry.hedging is not implemented by Sluice and is ignored',
      'Gateway/gw: spec.listeners[0].tls.options is not implemented by Sluice and is ignored',
      'HTTPRoute/ours: spec.rules[0].retry.mode is not implemented by Sluice and is ignored',
      'HTTPRoute/ours: spec.rules[0].sessionPersistence.cookieConfig.sameSite is not implemented by Sluice and is ignored',
      'IngressClass/sluice: spec.parameters is not implemented by Sluice and is ignored',
    ]);
    expect(diagnostics.filter((d) => d.code === 'SLUICE_FIELD_NOT_IMPLEMENTED').every((d) => d.severity === 'warning')).toBe(true);
  });

  it('finds nothing in an object that uses only implemented fields, at any depth', () => {
    const route = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute', metadata: { name: 'r' }, spec: { rules: [{ filters: [{ type: 'RequestRedirect', requestRedirect: { path: { type: 'ReplaceFullPath', replaceFullPath: '/x' } } }] }] } };
    expect(unimplementedFields(route as KubeObject)).toEqual([]);
    const deeper = { ...route, spec: { rules: [{ filters: [{ type: 'RequestRedirect', requestRedirect: { path: { type: 'ReplaceFullPath', regex: '.*' } } }] }] } };
    expect(unimplementedFields(deeper as KubeObject)).toEqual(['spec.rules[0].filters[0].requestRedirect.path.regex']);
  });
});
