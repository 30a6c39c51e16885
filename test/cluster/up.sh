#!/usr/bin/env bash
# Start a long-lived test cluster for humans (npm run cluster:up):
# builds the binaries if needed, creates network namespace $SLUICE_DEV_NETNS (default
# sluice-dev), starts etcd + kube-apiserver inside it with state in <cache>/cluster, and
# prints how to use it. Stop it with test/cluster/down.sh.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=cache-dir.sh
source "$here/cache-dir.sh"
state=$cache/cluster
ns=${SLUICE_DEV_NETNS:-sluice-dev}
IP=${SLUICE_IP:-/usr/sbin/ip}
[[ -x "$IP" ]] || IP=$(command -v ip)
export SLUICE_IT_HOST_ADDR=${SLUICE_IT_HOST_ADDR:-10.77.0.1}

# shellcheck source=node.sh
source "$here/node.sh"

if bash "$here/netns.sh" exists "$ns"; then
  if "$IP" netns exec "$ns" "$NODE" "$here/harness.ts" status --state-dir "$state" >/dev/null 2>&1; then
    echo "up.sh: a cluster is already running in netns $ns (state $state); run test/cluster/down.sh first" >&2
    exit 1
  fi
  echo "up.sh: netns $ns exists but no running cluster; recreating it" >&2
  bash "$here/netns.sh" delete "$ns"
fi

bash "$here/build.sh"

bash "$here/netns.sh" create "$ns" >/dev/null
t0=$(date +%s%N)
if ! SLUICE_NETNS=$ns SLUICE_REPO_ROOT=$repo SLUICE_CACHE_DIR=$cache \
  "$IP" netns exec "$ns" "$NODE" "$here/harness.ts" up --state-dir "$state" >"$state.json.tmp"; then
  rm -f "$state.json.tmp"
  bash "$here/netns.sh" delete "$ns"
  echo "up.sh: cluster failed to start; logs in $state/logs" >&2
  exit 1
fi
t1=$(date +%s%N)
mv -f "$state.json.tmp" "$cache/cluster.json"
cp "$state/admin.kubeconfig" "$cache/cluster/kubeconfig"
server=$(sed -n 's/.*"server": "\(.*\)".*/\1/p' "$cache/cluster.json")

cat <<MSG
up.sh: cluster ready in $(((t1 - t0) / 1000000)) ms
  network namespace: $ns   (host address $SLUICE_IT_HOST_ADDR, every 10.77.x.y is bindable inside)
  apiserver:         $server   (only reachable inside the namespace)
  kubeconfig:        $cache/cluster/kubeconfig   (user admin, system:masters)
  state, logs:       $state, $state/logs
Use it:
  $IP netns exec $ns kubectl --kubeconfig $cache/cluster/kubeconfig get --raw /readyz
  $IP netns exec $ns env SLUICE_NETNS=$ns SLUICE_IT_STATE_DIR=$state bash    # a shell inside
Integration tests against this cluster (no fresh cluster per run):
  $IP netns exec $ns env SLUICE_NETNS=$ns SLUICE_IT_STATE_DIR=$state \\
    $NODE --experimental-vm-modules node_modules/jest/bin/jest.js -c jest.integration.config.js
Stop it: bash test/cluster/down.sh
MSG
