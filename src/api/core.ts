// Our own readonly views of the Kubernetes objects Sluice reads. Only the fields we use are
// typed; everything arrives from a provider as plain JSON, so every field is optional where the
// API allows it to be absent.

export interface ObjectMeta {
  readonly name: string;
  readonly namespace?: string;
  readonly uid?: string;
  readonly generation?: number;
  readonly resourceVersion?: string;
  readonly creationTimestamp?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: ObjectMeta;
}

export interface TypedLocalObjectReference {
  readonly apiGroup?: string;
  readonly kind: string;
  readonly name: string;
}

export interface ServiceBackendPort {
  readonly name?: string;
  readonly number?: number;
}

export interface IngressBackend {
  readonly service?: { readonly name: string; readonly port?: ServiceBackendPort };
  readonly resource?: TypedLocalObjectReference;
}

export type IngressPathType = 'Exact' | 'Prefix' | 'ImplementationSpecific';

export interface HTTPIngressPath {
  readonly path?: string;
  readonly pathType: IngressPathType;
  readonly backend: IngressBackend;
}

export interface IngressRule {
  readonly host?: string;
  readonly http?: { readonly paths: readonly HTTPIngressPath[] };
}

export interface IngressTLS {
  readonly hosts?: readonly string[];
  readonly secretName?: string;
}

export interface Ingress extends KubeObject {
  readonly kind: 'Ingress';
  readonly spec?: {
    readonly ingressClassName?: string;
    readonly defaultBackend?: IngressBackend;
    readonly rules?: readonly IngressRule[];
    readonly tls?: readonly IngressTLS[];
  };
  readonly status?: unknown;
}

export interface IngressClass extends KubeObject {
  readonly kind: 'IngressClass';
  readonly spec?: { readonly controller?: string; readonly parameters?: unknown };
}

export interface ServicePort {
  readonly name?: string;
  readonly protocol?: string;
  readonly port: number;
  readonly targetPort?: number | string;
  readonly appProtocol?: string;
}

export interface Service extends KubeObject {
  readonly kind: 'Service';
  readonly spec?: {
    readonly type?: string;
    readonly clusterIP?: string;
    readonly externalName?: string;
    readonly ports?: readonly ServicePort[];
    readonly selector?: Readonly<Record<string, string>>;
  };
  readonly status?: {
    readonly loadBalancer?: { readonly ingress?: readonly { readonly ip?: string; readonly hostname?: string }[] };
  };
}

export interface EndpointConditions {
  readonly ready?: boolean;
  readonly serving?: boolean;
  readonly terminating?: boolean;
}

export interface Endpoint {
  readonly addresses: readonly string[];
  readonly conditions?: EndpointConditions;
  readonly hostname?: string;
  readonly nodeName?: string;
  readonly zone?: string;
  readonly targetRef?: { readonly kind?: string; readonly namespace?: string; readonly name?: string };
}

export interface EndpointPort {
  readonly name?: string;
  readonly port?: number;
  readonly protocol?: string;
  readonly appProtocol?: string;
}

export interface EndpointSlice extends KubeObject {
  readonly kind: 'EndpointSlice';
  readonly addressType: 'IPv4' | 'IPv6' | 'FQDN';
  readonly endpoints?: readonly Endpoint[];
  readonly ports?: readonly EndpointPort[];
}

export interface Secret extends KubeObject {
  readonly kind: 'Secret';
  readonly type?: string;
  readonly data?: Readonly<Record<string, string>>;
}

/** Read only for CA bundles (key ca.crt) of BackendTLSPolicy and Gateway frontend validation; the provider keeps nothing else of it. */
export interface ConfigMap extends KubeObject {
  readonly kind: 'ConfigMap';
  readonly data?: Readonly<Record<string, string>>;
}

/** The label an EndpointSlice carries to name the Service it belongs to. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** The annotation that marks an IngressClass as the cluster default. */
export const DEFAULT_CLASS_ANNOTATION = 'ingressclass.kubernetes.io/is-default-class';
