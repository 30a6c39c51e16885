// nginx and HAProxy configurations of the lb part: one frontend port per balancing algorithm
// over the same endpoints (the slow-endpoint runs), and one "resilient" configuration per proxy
// for the failure scenarios — the settings a user would deploy to survive a killed, hung or
// failing endpoint, with the issue's 2 s response timeout.
import { HAPROXY_GLOBAL, HAPROXY_HTTP_PREAMBLE, NGINX_HTTP_COMMON, nginxPreamble } from './configs.ts';

export type LbAlgorithm = 'round-robin' | 'least-conn';

export interface LbFrontend {
  readonly port: number;
  readonly algorithm: LbAlgorithm;
}

/** The 2 s response (and connect) timeout every proxy gets in the failure scenarios. */
export const RESPONSE_TIMEOUT_S = 2;
/** nginx has no active checks in OSS: a failed attempt takes the server out for this long. */
export const NGINX_FAIL_TIMEOUT_S = 30;

const NGINX_UPSTREAM_KEEPALIVE = `        keepalive 1024;
        keepalive_requests 1000000;
        keepalive_timeout 120s;`;

const NGINX_PROXY = `            proxy_http_version 1.1;
            proxy_set_header Connection "";`;

function nginxServers(endpoints: readonly number[], params = ''): string {
  return endpoints.map((p) => `        server 127.0.0.1:${p}${params};`).join('\n');
}

export function nginxLbConf(frontends: readonly LbFrontend[], endpoints: readonly number[]): string {
  const upstreams = frontends
    .map(
      (f, i) => `    upstream lb${i} {
${f.algorithm === 'least-conn' ? '        least_conn;\n' : ''}${nginxServers(endpoints)}
${NGINX_UPSTREAM_KEEPALIVE}
    }
    server {
        listen 127.0.0.1:${f.port} backlog=4096;
        location / {
            proxy_pass http://lb${i};
${NGINX_PROXY}
        }
    }`,
    )
    .join('\n');
  return `${nginxPreamble('lb-nginx.pid')}
http {
${NGINX_HTTP_COMMON}
${upstreams}
}
`;
}

/**
 * Failure scenarios: round robin; a failed attempt (connect error, timeout, 502/503/504) is
 * retried on the next server (3 tries) and takes its server out for NGINX_FAIL_TIMEOUT_S
 * (max_fails=1): passive detection only.
 */
export function nginxResilientConf(port: number, endpoints: readonly number[]): string {
  return `${nginxPreamble('lb-nginx.pid')}
http {
${NGINX_HTTP_COMMON}
    upstream lb {
${nginxServers(endpoints, ` max_fails=1 fail_timeout=${NGINX_FAIL_TIMEOUT_S}s`)}
${NGINX_UPSTREAM_KEEPALIVE}
    }
    server {
        listen 127.0.0.1:${port} backlog=4096;
        location / {
            proxy_pass http://lb;
${NGINX_PROXY}
            proxy_connect_timeout ${RESPONSE_TIMEOUT_S}s;
            proxy_send_timeout ${RESPONSE_TIMEOUT_S}s;
            proxy_read_timeout ${RESPONSE_TIMEOUT_S}s;
            proxy_next_upstream error timeout http_502 http_503 http_504;
            proxy_next_upstream_tries 3;
        }
    }
}
`;
}

function haproxyServers(endpoints: readonly number[]): string {
  return endpoints.map((p, i) => `    server e${i} 127.0.0.1:${p}`).join('\n');
}

export function haproxyLbConf(frontends: readonly LbFrontend[], endpoints: readonly number[]): string {
  const parts = frontends.map(
    (f, i) => `frontend fe${i}
    bind 127.0.0.1:${f.port}
    default_backend be${i}

backend be${i}
    balance ${f.algorithm === 'least-conn' ? 'leastconn' : 'roundrobin'}
${haproxyServers(endpoints)}
`,
  );
  return `${HAPROXY_HTTP_PREAMBLE}
${parts.join('\n')}`;
}

/**
 * Failure scenarios: round robin; active checks of /health (inter 1s fall 3 rise 2, 500 ms
 * timeout); 3 consecutive layer-7 errors mark a server down (observe layer7); a connect
 * failure, an empty response, a response timeout or a 503 is retried (2 retries), each on
 * another server (redispatch).
 */
export function haproxyResilientConf(port: number, endpoints: readonly number[]): string {
  return `${HAPROXY_GLOBAL}
defaults
    mode http
    option http-keep-alive
    timeout connect ${RESPONSE_TIMEOUT_S}s
    timeout client 60s
    timeout server ${RESPONSE_TIMEOUT_S}s
    timeout http-keep-alive 60s
    timeout check 500ms
    retries 2
    option redispatch 1
    retry-on conn-failure empty-response response-timeout 503

frontend fe
    bind 127.0.0.1:${port}
    default_backend be

backend be
    balance roundrobin
    option httpchk
    http-check send meth GET uri /health
    default-server check inter 1s fall 3 rise 2 observe layer7 error-limit 3 on-error mark-down
${haproxyServers(endpoints)}
`;
}
