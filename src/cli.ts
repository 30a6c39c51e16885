// Flags and SLUICE_* env variables → a validated, typed Config. Bad input is a coded error that
// names the flag; main prints it and exits 2 before anything starts.
import { envName, OPTIONS, type OptionSpec } from './config/options.js';
import type { AccessLogConfig, Config, LogLevel, ProviderName } from './config/config.js';
import { DEFAULT_ACCESS_LOG_FIELDS, parseAccessLogFields } from './dataplane/access-log/fields.js';
import { parseBytes } from './config/bytes.js';
import { parseDuration } from './config/duration.js';
import { parseCidr } from './util/cidr.js';
import { parseAddressPool } from './translate/gateway/address-pool.js';
import { fail } from './errors.js';

type RawValues = Map<string, string>;

const SPECS = new Map<string, OptionSpec>(OPTIONS.map((o) => [o.flag, o]));

export function helpText(): string {
  const lines = ['Usage: sluice [flags]', '', 'Every flag can also be set as env SLUICE_<FLAG> (e.g. SLUICE_HTTP_PORT=80).', ''];
  for (const o of OPTIONS as readonly OptionSpec[]) {
    const values = o.values ? ` (${o.values.join('|')})` : '';
    const def = o.default !== undefined ? ` [default ${o.default}]` : '';
    lines.push(`  --${o.flag.padEnd(28)}${o.help}${values}${def}`);
  }
  return lines.join('\n');
}

/** Collects raw strings: defaults, then env, then argv (later wins). */
function collect(argv: readonly string[], env: NodeJS.ProcessEnv): RawValues {
  const raw: RawValues = new Map();
  for (const o of OPTIONS as readonly OptionSpec[]) {
    if (o.default !== undefined) raw.set(o.flag, o.default);
    const fromEnv = env[envName(o.flag)];
    if (fromEnv !== undefined && fromEnv !== '') raw.set(o.flag, fromEnv);
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw fail('ConfigUnknownFlag', arg);
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const spec = SPECS.get(flag);
    if (!spec) throw fail('ConfigUnknownFlag', `--${flag}`);
    if (eq !== -1) raw.set(flag, arg.slice(eq + 1));
    else if (spec.type === 'bool' && (argv[i + 1] === undefined || argv[i + 1]!.startsWith('--'))) raw.set(flag, 'true');
    else {
      const value = argv[++i];
      if (value === undefined) throw fail('ConfigInvalid', `--${flag}`, 'needs a value');
      raw.set(flag, value);
    }
  }
  return raw;
}

function typed(spec: OptionSpec, text: string): string | number | boolean {
  const bad = (problem: string) => fail('ConfigInvalid', `--${spec.flag}`, `${JSON.stringify(text)} ${problem}`);
  switch (spec.type) {
    case 'string':
      return text;
    case 'enum':
      if (!spec.values?.includes(text)) throw bad(`is not one of ${spec.values?.join(', ')}`);
      return text;
    case 'bool':
      if (text === 'true' || text === '1') return true;
      if (text === 'false' || text === '0') return false;
      throw bad('is not true or false');
    case 'port':
    case 'int': {
      if (!/^\d+$/.test(text)) throw bad('is not a whole number');
      const n = Number(text);
      if (spec.type === 'port' && (n < 1 || n > 65535)) throw bad('is not a port (1-65535)');
      if (spec.min !== undefined && n < spec.min) throw bad(`is below ${spec.min}`);
      return n;
    }
    case 'bytes': {
      const n = parseBytes(text);
      if (n === undefined) throw bad('is not a size like 1048576, 512KiB, 16MiB or 1GiB');
      return n;
    }
    case 'ratio': {
      const n = Number(text);
      if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) throw bad('is not a number from 0 to 1');
      return n;
    }
    case 'duration': {
      const ms = parseDuration(text);
      if (ms === undefined) throw bad('is not a duration like 500ms, 5s or 1m');
      return ms;
    }
  }
}

export function parseConfig(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Config {
  const raw = collect(argv, env);
  const v = (flag: string) => {
    const text = raw.get(flag);
    return text === undefined ? undefined : typed(SPECS.get(flag)!, text);
  };
  const str = (flag: string) => v(flag) as string | undefined;
  const num = (flag: string) => v(flag) as number;

  const provider = str('provider') as ProviderName;
  const manifestsDir = str('manifests');
  if (provider === 'file' && !manifestsDir) throw fail('ConfigInvalid', '--manifests', 'is required with --provider file');

  const publishService = objectRef('publish-service', str('publish-service'));
  const defaultCertificate = objectRef('default-certificate', str('default-certificate'));
  const trustedProxies = (str('trusted-proxies') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const cidr of trustedProxies) if (typeof parseCidr(cidr) === 'string') throw fail('ConfigInvalid', '--trusted-proxies', `"${cidr}" is not an address or CIDR like 10.0.0.0/8 or fd00::/8`);
  if (v('proxy-protocol') && trustedProxies.length === 0) throw fail('ConfigInvalid', '--proxy-protocol', 'needs --trusted-proxies (PROXY headers are accepted from trusted sources only)');
  const gatewayAddressPool = str('gateway-address-pool') || undefined;
  if (gatewayAddressPool !== undefined) {
    const pool = parseAddressPool(gatewayAddressPool);
    if (typeof pool === 'string') throw fail('ConfigInvalid', '--gateway-address-pool', `"${gatewayAddressPool}": ${pool}`);
  }
  const holdoffMs = num('debounce');
  const maxDelayMs = num('debounce-max');
  if (maxDelayMs < holdoffMs) throw fail('ConfigInvalid', '--debounce-max', 'must not be shorter than --debounce');
  const redisUrl = redisUrlOf(str('redis-url'));
  const ports = [num('http-port'), num('https-port'), num('admin-port')];
  if (new Set(ports).size !== ports.length) throw fail('ConfigInvalid', '--http-port/--https-port/--admin-port', 'must differ');

  return {
    provider,
    manifestsDir,
    httpPort: num('http-port'),
    httpsPort: num('https-port'),
    adminPort: num('admin-port'),
    bindAddress: str('bind-address')!,
    adminBindAddress: str('admin-bind-address') ?? str('bind-address')!,
    debugRemote: v('debug-remote') as boolean,
    ingressClass: str('ingress-class')!,
    watchNamespace: str('watch-namespace') || undefined,
    publishAddress: (str('publish-address') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    gatewayAddressPool,
    publishService,
    leaderElect: v('leader-elect') as boolean,
    lease: {
      name: str('lease-name')!,
      namespace: str('lease-namespace'),
      durationMs: num('lease-duration'),
      renewDeadlineMs: num('lease-renew-deadline'),
      retryPeriodMs: num('lease-retry-period'),
    },
    logLevel: str('log-level') as LogLevel,
    workers: num('workers'),
    redisUrl,
    upstream: {
      connectMs: num('upstream-connect-timeout'),
      responseMs: num('upstream-response-timeout'),
      idleMs: num('upstream-idle-timeout'),
      keepAliveMs: num('upstream-keep-alive-timeout'),
    },
    tcpIdleMs: num('tcp-idle-timeout'),
    clientKeepAliveMs: num('client-keep-alive-timeout'),
    edge: {
      trustedProxies,
      trustedHops: num('trusted-hops'),
      proxyProtocol: v('proxy-protocol') as boolean,
      headerTimeoutMs: num('client-header-timeout'),
      tlsHandshakeTimeoutMs: num('tls-handshake-timeout'),
      maxRequestBodyBytes: num('max-request-body'),
      mergeSlashes: v('merge-slashes') as boolean,
      escapedSlashes: str('escaped-slashes') as 'keep' | 'reject',
      rejectUnknownSni: v('reject-unknown-sni') as boolean,
    },
    http2: { tls: v('http2') as boolean, cleartext: v('http2-cleartext') as boolean, maxConcurrentStreams: num('http2-max-concurrent-streams') },
    defaultCertificate,
    maxManifestBytes: num('max-manifest-bytes'),
    drainTimeoutMs: num('drain-timeout'),
    tracing: { otlpEndpoint: otlpEndpoint(str('otlp-endpoint')), sample: num('trace-sample') },
    accessLog: accessLogConfig(str('access-log')!, str('access-log-fields'), num('access-log-sample')),
    debounce: { holdoffMs, maxDelayMs },
  };
}

function otlpEndpoint(text: string | undefined): string | undefined {
  if (!text) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw fail('ConfigInvalid', '--otlp-endpoint', `"${text}" is not an http:// or https:// URL`);
  return text;
}

function accessLogConfig(destination: string, fieldsText: string | undefined, sample: number): AccessLogConfig {
  const parsed = fieldsText === undefined ? { fields: [...DEFAULT_ACCESS_LOG_FIELDS] } : parseAccessLogFields(fieldsText);
  if ('unknown' in parsed) throw fail('ConfigInvalid', '--access-log-fields', `${parsed.unknown.join(', ')}: not a field (fields: ${DEFAULT_ACCESS_LOG_FIELDS.join(', ')}, query)`);
  if (destination === '') throw fail('ConfigInvalid', '--access-log', 'is empty (off, stdout or a file path)');
  return { destination: destination === 'off' || destination === 'stdout' ? destination : { path: destination }, fields: parsed.fields, sample };
}

/** "namespace/name" → a reference; undefined when the flag is unset. */
function objectRef(flag: string, text: string | undefined): { namespace: string; name: string } | undefined {
  if (text === undefined) return undefined;
  const [namespace, name, extra] = text.split('/');
  if (!namespace || !name || extra !== undefined) throw fail('ConfigInvalid', `--${flag}`, `"${text}" is not namespace/name`);
  return { namespace, name };
}

/** A redis:// or rediss:// URL with a host (and a database number, if a path is given). */
function redisUrlOf(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  const bad = (problem: string) => fail('ConfigInvalid', '--redis-url', `"${text}" ${problem}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad('is not a URL like redis://host:6379');
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw bad('must start with redis:// or rediss://');
  if (!url.hostname) throw bad('names no host');
  if (url.pathname !== '' && url.pathname !== '/' && !/^\/\d+$/.test(url.pathname)) throw bad('has a path that is not a database number');
  return text;
}
