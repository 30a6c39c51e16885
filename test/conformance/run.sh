#!/usr/bin/env bash
# npm run conformance [-- SUITE FLAGS]: the official Gateway API conformance suite against Sluice.
# Builds what is missing (cached), then, in a fresh network namespace: etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, the fake node (nodeagent, real echo-basic pods),
# Sluice (--provider kubernetes) and the suite. Writes the report to conformance/reports/ and
# prints "N passed, M failed" per profile.
#
#   npm run conformance                          # GATEWAY-HTTP, features from GatewayClass status
#   npm run conformance -- --run-test HTTPRouteWeight    # one test (debugging)
#
# Any argument is passed to the suite (flags of sigs.k8s.io/gateway-api/conformance/utils/flags).
# Logs of every component: $SLUICE_CACHE_DIR/conformance/run/logs.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
t0=$(date +%s)
bash "$repo/test/cluster/build.sh"
bash "$repo/test/cluster/build-helm.sh"
bash "$here/build.sh"
[[ -f "$repo/dist/main.js" ]] || { echo "conformance: dist/main.js missing (npm run build)" >&2; exit 1; }
echo "conformance: builds checked in $(($(date +%s) - t0))s"
exec bash "$repo/test/cluster/in-netns.sh" bash "$here/cluster.sh" "$@"
