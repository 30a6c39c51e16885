// The Gateway API kinds, watched once their CRDs are served (crd-watch.ts), with Namespaces (for
// listener allowedRoutes selectors) and ConfigMaps (CA bundles of BackendTLSPolicy and frontend
// client-certificate validation) alongside the first of them.
import { CrdWatch, type CrdWatchOptions } from './crd-watch.js';
import { CONFIGMAP_RESOURCE, GATEWAY_API, NAMESPACE_RESOURCE, namespaceFieldSelector, resourcePath } from './resources.js';

export class GatewayApiWatch extends CrdWatch {
  constructor(options: CrdWatchOptions) {
    super(GATEWAY_API, options, [
      { spec: NAMESPACE_RESOURCE, path: resourcePath(NAMESPACE_RESOURCE, undefined), fieldSelector: namespaceFieldSelector(options.watchNamespace) },
      { spec: CONFIGMAP_RESOURCE, path: resourcePath(CONFIGMAP_RESOURCE, options.watchNamespace), fieldSelector: undefined },
    ]);
  }
}
