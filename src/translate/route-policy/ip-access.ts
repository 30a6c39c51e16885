// spec.ipAccess → IpAccessPolicy: canonical allow and deny CIDRs (deny wins). A security block:
// when it is invalid the routes it targets deny every request (route-policy.ts).
import type { IpAccessPolicy } from '../../table/types.js';
import type { Fields } from '../policy/fields.js';
import { readCidr } from './cidrs.js';

export const MAX_CIDRS = 256;

export function readIpAccess(value: unknown, f: Fields): IpAccessPolicy | undefined {
  const spec = f.object(value, 'ipAccess');
  if (!spec) return undefined;
  const a = f.at('ipAccess');
  const cidrs = (name: 'allow' | 'deny'): string[] => {
    const out: string[] = [];
    (a.list(spec[name], name, MAX_CIDRS) ?? []).forEach((v, i) => {
      const canonical = readCidr((check) => a.string(v, `${name}[${i}]`, check));
      if (canonical !== undefined && !out.includes(canonical)) out.push(canonical);
    });
    return out;
  };
  const allow = cidrs('allow');
  const deny = cidrs('deny');
  if ((spec['allow'] === undefined || (Array.isArray(spec['allow']) && spec['allow'].length === 0)) && (spec['deny'] === undefined || (Array.isArray(spec['deny']) && spec['deny'].length === 0))) {
    a.invalid('must list allow or deny CIDRs');
  }
  return { allow, deny };
}
