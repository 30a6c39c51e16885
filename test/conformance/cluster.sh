#!/usr/bin/env bash
# Inside the network namespace made by run.sh: start the cluster, the fake node and Sluice, run
# the suite, stop everything this script started.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../cluster/cache-dir.sh
source "$here/../cluster/cache-dir.sh"
# shellcheck source=../cluster/node.sh
source "$repo/test/cluster/node.sh"
kbin=$cache/kube/bin
cbin=$cache/conformance/bin
kubectl=${SLUICE_KUBECTL:-$cache/helm/bin/kubectl}
state=$cache/conformance/run
logs=$state/logs
gateway_pool=${SLUICE_CONFORMANCE_POOL:-10.99.0.0/24}
pod_prefix=sluice-pod-${SLUICE_NETNS:-x}
class=sluice

# The suite's own flags for this run; with --run-test, give the features explicitly (the suite
# reads GatewayClass status only when no test/feature flag is given).
suite_args=("$@")
run_test=""
for ((i = 0; i < ${#suite_args[@]}; i++)); do
  case ${suite_args[$i]} in
    --run-test | -run-test) run_test=${suite_args[$((i + 1))]:-} ;;
    --run-test=* | -run-test=*) run_test=${suite_args[$i]#*=} ;;
  esac
done

rm -rf "$state"
mkdir -p "$logs"
pids=()
cleanup() {
  local rc=$? p
  for ((p = ${#pids[@]} - 1; p >= 0; p--)); do kill -TERM "${pids[$p]}" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  "$NODE" "$repo/test/cluster/harness.ts" down --state-dir "$state/cluster" >/dev/null 2>&1 || true
  # Pod namespaces the agent could not remove (it normally removes them on exit).
  for ns in $(ip netns list | awk '{print $1}' | grep "^$pod_prefix-" || true); do
    bash "$repo/test/cluster/netns.sh" delete "$ns" || true
  done
  exit "$rc"
}
trap cleanup EXIT

step() { echo "conformance: [$(($(date +%s) - start))s] $*"; }
start=$(date +%s)
SLUICE_REPO_ROOT=$repo SLUICE_CACHE_DIR=$cache "$NODE" "$repo/test/cluster/harness.ts" up --state-dir "$state/cluster" >"$state/cluster.json" 2>"$logs/harness.log"
kubeconfig=$state/cluster/admin.kubeconfig
pki=$state/cluster/pki
export KUBECONFIG=$kubeconfig
step "kube-apiserver ready"

"$kbin/kube-controller-manager" --kubeconfig="$kubeconfig" --leader-elect=false --secure-port=0 \
  --controllers=deployment-controller,replicaset-controller,endpointslice-controller,endpointslice-mirroring-controller,serviceaccount-controller,serviceaccount-token-controller,namespace-controller,garbage-collector-controller,root-ca-certificate-publisher-controller \
  --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
  --use-service-account-credentials=false --concurrent-deployment-syncs=10 --concurrent-replicaset-syncs=10 \
  --concurrent-service-endpoint-syncs=10 --endpointslice-updates-batch-period=0s \
  >"$logs/kube-controller-manager.log" 2>&1 &
pids+=($!)
"$kbin/kube-scheduler" --kubeconfig="$kubeconfig" --leader-elect=false --secure-port=0 \
  >"$logs/kube-scheduler.log" 2>&1 &
pids+=($!)
"$cbin/nodeagent" --kubeconfig="$kubeconfig" --node-ip="${SLUICE_IT_HOST_ADDR:-10.77.0.1}" \
  --netns-prefix="$pod_prefix" --echo-basic="$cbin/echo-basic" --state-dir="$state/node" \
  >"$logs/nodeagent.log" 2>&1 &
pids+=($!)

# Every Gateway gets its own address from the pool (Sluice --gateway-address-pool); the whole
# range is bindable here, so the suite dials status.addresses[0]:<listener port> directly.
ip route add local "$gateway_pool" dev lo

"$kubectl" apply --server-side -f "$repo/crds/gateway-api/" >"$logs/crds.log"
"$kubectl" wait --for=condition=Established --timeout=60s crd --all >>"$logs/crds.log"
step "Gateway API CRDs installed"
"$kubectl" apply -f - >>"$logs/crds.log" <<YAML
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata:
  name: $class
spec:
  controllerName: sluice.dev/gateway-controller
YAML

(cd "$repo" && exec "$NODE" dist/main.js --provider kubernetes --http-port 80 --https-port 443 \
  --bind-address "${SLUICE_IT_HOST_ADDR:-10.77.0.1}" --admin-port 9901 --admin-bind-address 127.0.0.1 \
  --gateway-address-pool "$gateway_pool" \
  --log-level "${SLUICE_CONFORMANCE_LOG_LEVEL:-info}") >"$logs/sluice.log" 2>&1 &
pids+=($!)
"$kubectl" wait --for=condition=Accepted --timeout=60s "gatewayclass/$class" >/dev/null
step "Sluice accepted GatewayClass $class"

version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$repo/package.json")
report_dir=$repo/conformance/reports
mkdir -p "$report_dir"
report=$report_dir/sluice-$version-gateway-http.yaml
[[ -n "$run_test" ]] && report=$state/report-$run_test.yaml
# Exploratory runs (e.g. -supported-features=…) must not replace the published report.
report=${SLUICE_CONFORMANCE_REPORT:-$report}
extra=()
if [[ -n "$run_test" ]]; then
  features=$("$kubectl" get gatewayclass "$class" -o jsonpath='{range .status.supportedFeatures[*]}{.name},{end}')
  extra+=("-supported-features=${features%,}")
fi
set +e
(cd "$here" && "$cbin/conformance.test" -test.run '^TestConformance$' -test.v -test.timeout 80m \
  -gateway-class="$class" -conformance-profiles="${SLUICE_CONFORMANCE_PROFILES:-GATEWAY-HTTP,GATEWAY-GRPC,GATEWAY-TCP,GATEWAY-TLS}" -report-output="$report" \
  -organization=sluice -project=sluice -url=https://github.com/sluice-dev/sluice \
  -version="v$version" -contact=https://github.com/sluice-dev/sluice/issues \
  -mode=default "${extra[@]}" "$@") >"$logs/conformance.log" 2>&1 &
suite_pid=$!
pids+=("$suite_pid")
tail -n +1 -F --pid="$suite_pid" "$logs/conformance.log" 2>/dev/null | grep --line-buffered -E '^    --- (PASS|FAIL): TestConformance/[A-Za-z0-9]+ ' &
wait "$suite_pid"
suite_rc=$?
set -e
step "suite finished (exit $suite_rc); logs in $logs"
if [[ -f "$report" ]]; then
  "$NODE" "$here/summary.ts" "$report" "$logs/conformance.log"
  # A full run with the declared features is what the README reports. Only a passing run: the
  # suite's report does not count failures of its parallel tests (GatewayListenerUnsupportedProtocol
  # once failed with the report saying core 37/37); the go test exit status does.
  if [[ -z "$run_test" && -z "${SLUICE_CONFORMANCE_REPORT:-}" && $# -eq 0 && $suite_rc -eq 0 ]]; then
    "$NODE" "$here/summary.ts" --readme "$report"
  fi
else
  echo "conformance: no report written (see $logs/conformance.log)" >&2
  "$NODE" "$here/summary.ts" - "$logs/conformance.log" || true
fi
exit "$suite_rc"
