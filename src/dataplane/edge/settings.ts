// The edge settings every request reads, built once from the config.
import { BlockList, isIPv4 } from 'node:net';
import type { IncomingMessage } from 'node:http';
import type { EdgeConfig } from '../../config/config.js';
import type { EdgeSettings } from '../context.js';

// TEMPORARY until the trusted-address matcher lands: plain BlockList.
function trustedMatcher(cidrs: readonly string[]): (address: string) => boolean {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [address, bits] = cidr.split('/') as [string, string | undefined];
    const family = isIPv4(address) ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return (address) => {
    const bare = address.startsWith('::ffff:') && isIPv4(address.slice(7)) ? address.slice(7) : address;
    return list.check(bare, isIPv4(bare) ? 'ipv4' : 'ipv6');
  };
}

export function edgeSettings(edge: EdgeConfig, proxiedPeer: (req: IncomingMessage) => string | undefined = () => undefined): EdgeSettings {
  return {
    paths: { mergeSlashes: edge.mergeSlashes, escapedSlashes: edge.escapedSlashes },
    trust: edge.trustedProxies.length > 0 ? { isTrusted: trustedMatcher(edge.trustedProxies), hops: edge.trustedHops } : undefined,
    maxRequestBodyBytes: edge.maxRequestBodyBytes,
    proxiedPeer,
  };
}
