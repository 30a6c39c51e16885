// Our readonly views of the Gateway API objects Sluice reads (gateway.networking.k8s.io,
// standard channel, release v1.6). Only the fields we use are typed; objects arrive as plain
// JSON, so everything the API allows to be absent is optional here, and the translator checks
// values rather than trusting the CRD's defaulting (the file provider applies no defaults).
import type { KubeObject } from './core.js';

export const GATEWAY_GROUP = 'gateway.networking.k8s.io';

export interface Condition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly reason: string;
  readonly message: string;
  readonly observedGeneration?: number;
  readonly lastTransitionTime?: string;
}

export interface LocalObjectReference {
  readonly group?: string;
  readonly kind?: string;
  readonly name: string;
}

export interface ParametersReference {
  readonly group: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}

export interface GatewayClass extends KubeObject {
  readonly kind: 'GatewayClass';
  readonly spec?: {
    readonly controllerName?: string;
    readonly parametersRef?: ParametersReference;
    readonly description?: string;
  };
}

export interface SecretObjectReference {
  readonly group?: string;
  readonly kind?: string;
  readonly name: string;
  readonly namespace?: string;
}

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly {
    readonly key: string;
    readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | string;
    readonly values?: readonly string[];
  }[];
}

export interface AllowedRoutes {
  readonly namespaces?: { readonly from?: 'All' | 'Same' | 'Selector' | string; readonly selector?: LabelSelector };
  readonly kinds?: readonly { readonly group?: string; readonly kind: string }[];
}

export interface GatewayTLSConfig {
  readonly mode?: 'Terminate' | 'Passthrough' | string;
  readonly certificateRefs?: readonly SecretObjectReference[];
}

export interface GatewayListener {
  readonly name: string;
  readonly hostname?: string;
  readonly port: number;
  readonly protocol: string;
  readonly tls?: GatewayTLSConfig;
  readonly allowedRoutes?: AllowedRoutes;
}

export interface GatewaySpecAddress {
  readonly type?: string;
  readonly value: string;
}

export interface Gateway extends KubeObject {
  readonly kind: 'Gateway';
  readonly spec?: {
    readonly gatewayClassName?: string;
    readonly listeners?: readonly GatewayListener[];
    readonly addresses?: readonly GatewaySpecAddress[];
    readonly infrastructure?: { readonly parametersRef?: LocalObjectReference };
    readonly tls?: GatewayTLS;
  };
}

/** A reference to a CA bundle (a ConfigMap's ca.crt), possibly in another namespace (frontend validation). */
export interface CACertificateReference {
  readonly group?: string;
  readonly kind?: string;
  readonly name: string;
  readonly namespace?: string;
}

/** Client-certificate validation of a Gateway's HTTPS listeners (spec.tls.frontend). */
export interface FrontendTLSValidation {
  readonly caCertificateRefs?: readonly CACertificateReference[];
  readonly mode?: 'AllowValidOnly' | 'AllowInsecureFallback' | string;
}

/** Gateway spec.tls: client certificates Sluice presents to backends, and those it asks of clients. */
export interface GatewayTLS {
  readonly backend?: { readonly clientCertificateRef?: SecretObjectReference };
  readonly frontend?: {
    readonly default?: { readonly validation?: FrontendTLSValidation };
    readonly perPort?: readonly { readonly port: number; readonly tls?: { readonly validation?: FrontendTLSValidation } }[];
  };
}

/** BackendTLSPolicy (gateway.networking.k8s.io/v1): how Sluice reaches a Service's pods over TLS. */
export interface BackendTLSPolicy extends KubeObject {
  readonly kind: 'BackendTLSPolicy';
  readonly spec?: {
    readonly targetRefs?: readonly { readonly group?: string; readonly kind?: string; readonly name?: string; readonly sectionName?: string }[];
    readonly validation?: {
      readonly caCertificateRefs?: readonly LocalObjectReference[];
      readonly wellKnownCACertificates?: string;
      readonly hostname?: string;
      readonly subjectAltNames?: readonly { readonly type?: 'Hostname' | 'URI' | string; readonly hostname?: string; readonly uri?: string }[];
    };
    readonly options?: Readonly<Record<string, string>>;
  };
}

export interface ParentReference {
  readonly group?: string;
  readonly kind?: string;
  readonly namespace?: string;
  readonly name: string;
  readonly sectionName?: string;
  readonly port?: number;
}

export interface HTTPPathMatch {
  readonly type?: 'Exact' | 'PathPrefix' | 'RegularExpression' | string;
  readonly value?: string;
}

export interface HTTPNameValueMatch {
  readonly type?: 'Exact' | 'RegularExpression' | string;
  readonly name: string;
  readonly value: string;
}

export interface HTTPRouteMatch {
  readonly path?: HTTPPathMatch;
  readonly headers?: readonly HTTPNameValueMatch[];
  readonly queryParams?: readonly HTTPNameValueMatch[];
  readonly method?: string;
}

export interface HTTPHeader {
  readonly name: string;
  readonly value: string;
}

export interface HTTPHeaderFilter {
  readonly set?: readonly HTTPHeader[];
  readonly add?: readonly HTTPHeader[];
  readonly remove?: readonly string[];
}

export interface HTTPPathModifier {
  readonly type: 'ReplaceFullPath' | 'ReplacePrefixMatch' | string;
  readonly replaceFullPath?: string;
  readonly replacePrefixMatch?: string;
}

export interface HTTPRequestRedirectFilter {
  readonly scheme?: string;
  readonly hostname?: string;
  readonly path?: HTTPPathModifier;
  readonly port?: number;
  readonly statusCode?: number;
}

export interface HTTPURLRewriteFilter {
  readonly hostname?: string;
  readonly path?: HTTPPathModifier;
}

export interface BackendObjectReference {
  readonly group?: string;
  readonly kind?: string;
  readonly name: string;
  readonly namespace?: string;
  readonly port?: number;
}

export interface HTTPRequestMirrorFilter {
  readonly backendRef: BackendObjectReference;
  readonly percent?: number;
  readonly fraction?: { readonly numerator: number; readonly denominator?: number };
}

export interface HTTPRouteFilter {
  readonly type: string;
  readonly requestHeaderModifier?: HTTPHeaderFilter;
  readonly responseHeaderModifier?: HTTPHeaderFilter;
  readonly requestRedirect?: HTTPRequestRedirectFilter;
  readonly urlRewrite?: HTTPURLRewriteFilter;
  readonly requestMirror?: HTTPRequestMirrorFilter;
  readonly cors?: HTTPCORSFilter;
  readonly extensionRef?: LocalObjectReference;
}

/** HTTPRoute CORS filter (Gateway API v1.6 HTTPCORSFilter). */
export interface HTTPCORSFilter {
  readonly allowOrigins?: readonly string[];
  readonly allowMethods?: readonly string[];
  readonly allowHeaders?: readonly string[];
  readonly exposeHeaders?: readonly string[];
  /** Whole seconds; default 5. */
  readonly maxAge?: number;
  readonly allowCredentials?: boolean;
}

export interface HTTPBackendRef extends BackendObjectReference {
  readonly weight?: number;
  readonly filters?: readonly HTTPRouteFilter[];
}

export interface HTTPRouteTimeouts {
  readonly request?: string;
  readonly backendRequest?: string;
}

/** HTTPRoute rule retry (experimental channel, GEP-1731). */
export interface HTTPRouteRetry {
  readonly codes?: readonly number[];
  readonly attempts?: number;
  readonly backoff?: string;
}

/** SessionPersistence (experimental channel, GEP-1619): HTTPRoute rules and BackendTrafficPolicy. */
export interface SessionPersistence {
  readonly sessionName?: string;
  readonly absoluteTimeout?: string;
  readonly idleTimeout?: string;
  readonly type?: 'Cookie' | 'Header' | string;
  readonly cookieConfig?: { readonly lifetimeType?: 'Permanent' | 'Session' | string };
}

export interface HTTPRouteRule {
  readonly name?: string;
  readonly matches?: readonly HTTPRouteMatch[];
  readonly filters?: readonly HTTPRouteFilter[];
  readonly backendRefs?: readonly HTTPBackendRef[];
  readonly timeouts?: HTTPRouteTimeouts;
  readonly retry?: HTTPRouteRetry;
  readonly sessionPersistence?: SessionPersistence;
}

/**
 * The routes the HTTP translator compiles: HTTPRoutes, and GRPCRoutes in the HTTPRoute form
 * translate/gateway/grpc-route.ts lowers them to (kind kept, so references and statuses name it).
 */
export type RouteKind = 'HTTPRoute' | 'GRPCRoute';
export type RouteObject = Omit<HTTPRoute, 'kind'> & { readonly kind: RouteKind };

export interface HTTPRoute extends KubeObject {
  readonly kind: 'HTTPRoute';
  readonly spec?: {
    readonly parentRefs?: readonly ParentReference[];
    readonly hostnames?: readonly string[];
    readonly rules?: readonly HTTPRouteRule[];
  };
}

/** GRPCRoute method match: Exact (the default) or RegularExpression on the service and/or method. */
export interface GRPCMethodMatch {
  readonly type?: 'Exact' | 'RegularExpression' | string;
  readonly service?: string;
  readonly method?: string;
}

export interface GRPCRouteMatch {
  readonly method?: GRPCMethodMatch;
  readonly headers?: readonly HTTPNameValueMatch[];
}

/** GRPCRoute filters: the HTTPRoute filter shapes of the types GRPCRoute allows. */
export type GRPCRouteFilter = Pick<HTTPRouteFilter, 'type' | 'requestHeaderModifier' | 'responseHeaderModifier' | 'requestMirror' | 'extensionRef'>;

export interface GRPCBackendRef extends BackendObjectReference {
  readonly weight?: number;
  readonly filters?: readonly GRPCRouteFilter[];
}

export interface GRPCRouteRule {
  readonly name?: string;
  readonly matches?: readonly GRPCRouteMatch[];
  readonly filters?: readonly GRPCRouteFilter[];
  readonly backendRefs?: readonly GRPCBackendRef[];
  readonly sessionPersistence?: SessionPersistence;
}

export interface GRPCRoute extends KubeObject {
  readonly kind: 'GRPCRoute';
  readonly spec?: {
    readonly parentRefs?: readonly ParentReference[];
    readonly hostnames?: readonly string[];
    readonly rules?: readonly GRPCRouteRule[];
  };
}

export interface ReferenceGrant extends KubeObject {
  readonly kind: 'ReferenceGrant';
  readonly spec?: {
    readonly from?: readonly { readonly group: string; readonly kind: string; readonly namespace: string }[];
    readonly to?: readonly { readonly group: string; readonly kind: string; readonly name?: string }[];
  };
}

/** Core v1 Namespace: read only for its labels (listener allowedRoutes.namespaces.selector). */
export interface Namespace extends KubeObject {
  readonly kind: 'Namespace';
}

// ---- Status shapes (what the status writer puts on the objects) ----

export interface RouteParentStatus {
  readonly parentRef: ParentReference;
  readonly controllerName: string;
  readonly conditions: readonly Condition[];
}

export interface ListenerStatus {
  readonly name: string;
  readonly supportedKinds: readonly { readonly group: string; readonly kind: string }[];
  readonly attachedRoutes: number;
  readonly conditions: readonly Condition[];
}

export interface GatewayStatus {
  readonly addresses: readonly { readonly type: string; readonly value: string }[];
  readonly conditions: readonly Condition[];
  readonly listeners: readonly ListenerStatus[];
}

export interface GatewayClassStatus {
  readonly conditions: readonly Condition[];
  readonly supportedFeatures: readonly { readonly name: string }[];
}
