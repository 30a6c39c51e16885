// spec.basicAuth → BasicAuthPolicy: the users of an htpasswd Secret in the policy's namespace.
// The Secret must be of type sluice.dev/htpasswd: besides TLS Secrets those are the only ones
// Sluice watches (src/k8s/resources.ts), so a generic Secret is never read. A security block:
// when it is invalid (no such Secret, wrong type, a hash Sluice does not accept) the routes it
// targets deny every request (route-policy.ts).
import type { Secret } from '../../api/core.js';
import type { BasicAuthPolicy } from '../../table/types.js';
import type { Fields } from '../policy/fields.js';
import { HTPASSWD_KEY, HTPASSWD_SECRET_TYPE, ROUTE_POLICY_DEFAULTS } from './defaults.js';
import { parseHtpasswd } from './htpasswd.js';

const REALM = /^[\x20-\x7e]{1,64}$/;

export function readBasicAuth(value: unknown, f: Fields, namespace: string, secrets: ReadonlyMap<string, Secret>): BasicAuthPolicy | undefined {
  const spec = f.object(value, 'basicAuth');
  if (!spec) return undefined;
  const b = f.at('basicAuth');
  const realm =
    b.string(spec['realm'], 'realm', (s) => (REALM.test(s) && !s.includes('"') && !s.includes('\\') ? undefined : 'must be 1 to 64 printable ASCII characters without quotes or backslashes')) ??
    ROUTE_POLICY_DEFAULTS.basicAuth.realm;
  const ref = b.object(spec['secretRef'], 'secretRef');
  if (!ref) {
    if (spec['secretRef'] === undefined) b.problem('secretRef', 'is required');
    return undefined;
  }
  const name = b.at('secretRef').string(ref['name'], 'name', (s) => (s.length > 0 && s.length <= 253 ? undefined : 'must be 1 to 253 characters'));
  if (ref['name'] === undefined) b.at('secretRef').problem('name', 'is required');
  if (name === undefined) return undefined;
  const secret = secrets.get(`${namespace}/${name}`);
  if (!secret) return void b.problem('secretRef', `Secret ${namespace}/${name} does not exist (or is not of type ${HTPASSWD_SECRET_TYPE}, the only type basicAuth reads)`);
  if (secret.type !== HTPASSWD_SECRET_TYPE) return void b.problem('secretRef', `Secret ${namespace}/${name} is of type ${secret.type ?? 'Opaque'}, not ${HTPASSWD_SECRET_TYPE}`);
  const data = secret.data?.[HTPASSWD_KEY];
  if (typeof data !== 'string') return void b.problem('secretRef', `Secret ${namespace}/${name} has no key ${JSON.stringify(HTPASSWD_KEY)}`);
  const parsed = parseHtpasswd(Buffer.from(data, 'base64').toString('utf8'));
  if ('problems' in parsed) return void b.problem('secretRef', `Secret ${namespace}/${name} key ${HTPASSWD_KEY}: ${parsed.problems.join('; ')}`);
  return { users: parsed.entries, realm };
}
