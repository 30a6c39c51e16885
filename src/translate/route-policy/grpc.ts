// What a RoutePolicy does on the routes a GRPCRoute made. The admission blocks (ipAccess,
// basicAuth, forwardAuth, rateLimit) and cors (grpc-web calls from browsers preflight like any
// fetch) apply as on an HTTPRoute; a refusal reaches a gRPC client as a grpc-status (the data
// plane's respond.ts). Three blocks cannot do anything useful to gRPC, so a GRPCRoute target
// refuses them (Accepted=False, Invalid, SLUICE_ROUTE_POLICY_BLOCK_NOT_FOR_GRPC; the policy's
// other blocks still apply), and a Gateway's copy of them reaches only its HTTPRoutes:
//
// - compression: gRPC compresses its own messages (grpc-encoding); HTTP content-encoding on an
//   application/grpc answer breaks every client, so the data plane never does it anyway.
// - cache and coalescing: they serve GET/HEAD only, and every gRPC call is a POST.
import type { Block } from './spec.js';

export const NOT_FOR_GRPC: ReadonlyMap<Block, string> = new Map<Block, string>([
  ['compression', 'gRPC compresses its own messages, and HTTP content-encoding on application/grpc breaks gRPC clients'],
  ['cache', 'it stores answers to GET only and every gRPC call is a POST'],
  ['coalescing', 'it shares GET and HEAD requests only and every gRPC call is a POST'],
]);

/** The blocks of `present` a GRPCRoute's routes do not get, in BLOCKS order. */
export function grpcRefused(present: readonly Block[]): Block[] {
  return present.filter((b) => NOT_FOR_GRPC.has(b));
}

/** Why each block does not apply to a GRPCRoute, as status messages and diagnostics say it. */
export function describeGrpcRefusal(blocks: readonly Block[]): string {
  return blocks.map((b) => `spec.${b} does not apply to a GRPCRoute (${NOT_FOR_GRPC.get(b)!})`).join('; ');
}
