// Configuration text for the comparison servers. Same settings as the baseline measurement
// (/work/shared/research/proxy-baseline.md), except nginx's upstream `keepalive 1024`: with
// `keepalive 64` nginx churns upstream connections as soon as concurrency exceeds 64.

/** Directives every nginx here shares: foreground, no access log, temp paths inside the prefix. */
export function nginxPreamble(pidFile: string, workers = 1): string {
  return `worker_processes ${workers};
daemon off;
master_process on;
pid ${pidFile};
error_log stderr warn;
events { worker_connections 16384; }
`;
}

export const NGINX_HTTP_COMMON = `    access_log off;
    server_tokens off;
    client_body_temp_path tmp/client_body;
    proxy_temp_path tmp/proxy;
    fastcgi_temp_path tmp/fastcgi;
    uwsgi_temp_path tmp/uwsgi;
    scgi_temp_path tmp/scgi;
    tcp_nodelay on;
    # nginx's default of 1000 requests per keep-alive connection would force reconnects.
    keepalive_requests 1000000;
    keepalive_timeout 120s;
`;

/**
 * The origin: "/" answers "ok\n", "/16k" a 16384-byte file, any other path "ok\n" too (scale
 * runs use many paths), "/__status" counts accepted connections (keep-alive check). Two extra
 * servers answer "a\n" and "b\n": the swap run tells old and new routes apart by them.
 */
export function originConf(port: number, altA: number, altB: number): string {
  return `${nginxPreamble('origin.pid')}
http {
${NGINX_HTTP_COMMON}    sendfile on;
    tcp_nopush on;
    open_file_cache max=16 inactive=600s;
    open_file_cache_valid 600s;

    server {
        listen 127.0.0.1:${port} backlog=4096;
        location = / { default_type text/plain; return 200 "ok\\n"; }
        location = /16k { root www; default_type application/octet-stream; }
        location = /__status { stub_status; }
        location / { default_type text/plain; return 200 "ok\\n"; }
    }
    server {
        listen 127.0.0.1:${altA} backlog=4096;
        location / { default_type text/plain; return 200 "a\\n"; }
    }
    server {
        listen 127.0.0.1:${altB} backlog=4096;
        location / { default_type text/plain; return 200 "b\\n"; }
    }
}
`;
}

/** The compression part's origin: www/16k.json as application/json (static: Content-Length, ETag). */
export function jsonOriginConf(port: number): string {
  return `${nginxPreamble('json-origin.pid')}
http {
${NGINX_HTTP_COMMON}    open_file_cache max=16 inactive=600s;
    open_file_cache_valid 600s;
    server {
        listen 127.0.0.1:${port} backlog=4096;
        location = /16k.json { root www; default_type application/json; }
    }
}
`;
}

/** A stand-in pod for the endpoint-churn run: answers "ok\n" on one port. */
export function podConf(port: number): string {
  return `${nginxPreamble(`pod-${port}.pid`)}
http {
${NGINX_HTTP_COMMON}
    server {
        listen 127.0.0.1:${port} backlog=4096;
        location / { default_type text/plain; return 200 "ok\\n"; }
    }
}
`;
}

/**
 * nginx as a reverse proxy with `workers` worker processes; `extra` adds directives to the http
 * block and the location (the stampede part's cache).
 */
export function nginxProxyConf(port: number, upstreamPort: number, extra: { readonly workers?: number; readonly pid?: string; readonly http?: string; readonly location?: string } = {}): string {
  const workers = extra.workers ?? 1;
  return `${nginxPreamble(extra.pid ?? (workers === 1 ? 'proxy.pid' : `proxy-w${workers}.pid`), workers)}
http {
${NGINX_HTTP_COMMON}${extra.http ?? ''}
    upstream origin {
        server 127.0.0.1:${upstreamPort};
        # Idle connections cached per worker. 64 would equal the client concurrency and churn
        # connections under any burst above it; 1024 keeps every upstream connection alive.
        keepalive 1024;
        keepalive_requests 1000000;
        keepalive_timeout 120s;
    }
    server {
        listen 127.0.0.1:${port} backlog=4096;
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
${extra.location ?? ''}        }
    }
}
`;
}

/** HAProxy's global section: one thread. */
export const HAPROXY_GLOBAL = `global
    nbthread 1
    maxconn 8000
`;

/** The global section and HTTP defaults with keep-alive both ways. */
export const HAPROXY_HTTP_PREAMBLE = `${HAPROXY_GLOBAL}
defaults
    mode http
    option http-keep-alive
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 60s
`;

export function haproxyConf(port: number, upstreamPort: number): string {
  return `${HAPROXY_HTTP_PREAMBLE}
frontend fe
    bind 127.0.0.1:${port}
    default_backend be

backend be
    server origin 127.0.0.1:${upstreamPort}
`;
}

/**
 * nginx terminating TLS with HTTP/2 (h2 by ALPN), proxying to the origin over HTTP/1.1
 * keep-alive. `listen … ssl http2` is what Debian 12's nginx 1.22 knows; nginx ≥ 1.25.1 spells
 * the same `http2 on;` (and still takes this form, with a deprecation warning).
 */
export function nginxH2Conf(port: number, upstreamPort: number, certFile: string, keyFile: string): string {
  return `${nginxPreamble('nginx-h2.pid')}
http {
${NGINX_HTTP_COMMON}
    http2_max_concurrent_streams 128;
    upstream origin {
        server 127.0.0.1:${upstreamPort};
        keepalive 1024;
        keepalive_requests 1000000;
        keepalive_timeout 120s;
    }
    server {
        listen 127.0.0.1:${port} ssl http2 backlog=4096;
        ssl_certificate ${certFile};
        ssl_certificate_key ${keyFile};
        location / {
            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
`;
}

/** Where Debian's libnginx-mod-stream puts nginx's (dynamic) stream module. */
export const NGINX_STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';

/** nginx `stream` as a plain TCP proxy (TCPRoute's peer): one worker, no buffering tricks. */
export function nginxStreamConf(name: string, port: number, upstreamPort: number): string {
  return `load_module ${NGINX_STREAM_MODULE};
${nginxPreamble(`${name}.pid`)}
stream {
    server {
        listen 127.0.0.1:${port} backlog=4096;
        proxy_pass 127.0.0.1:${upstreamPort};
        proxy_connect_timeout 5s;
        tcp_nodelay on;
    }
}
`;
}

/** HAProxy terminating TLS with `alpn h2,http/1.1`, to the origin over HTTP/1.1 keep-alive. */
export function haproxyH2Conf(port: number, upstreamPort: number, pemFile: string): string {
  return `${HAPROXY_HTTP_PREAMBLE}
frontend fe
    bind 127.0.0.1:${port} ssl crt ${pemFile} alpn h2,http/1.1
    default_backend be

backend be
    http-reuse always
    server origin 127.0.0.1:${upstreamPort}
`;
}

/** HAProxy `mode tcp` as a plain TCP proxy. */
export function haproxyTcpConf(port: number, upstreamPort: number): string {
  return `${HAPROXY_GLOBAL}
defaults
    mode tcp
    timeout connect 5s
    timeout client 60s
    timeout server 60s

frontend fe
    bind 127.0.0.1:${port}
    default_backend be

backend be
    server origin 127.0.0.1:${upstreamPort}
`;
}
