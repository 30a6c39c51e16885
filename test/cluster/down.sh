#!/usr/bin/env bash
# Stop the cluster started by up.sh and delete its network namespace (which also kills anything
# else still running inside it).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${SLUICE_CACHE_DIR:-$repo/.cache}
state=$cache/cluster
ns=${SLUICE_DEV_NETNS:-sluice-dev}

# shellcheck source=node.sh
source "$here/node.sh"

if [[ -f "$state/cluster.json" ]]; then
  SLUICE_REPO_ROOT=$repo timeout 60 "$NODE" "$here/harness.ts" down --state-dir "$state" || true
fi
if bash "$here/netns.sh" exists "$ns"; then
  bash "$here/netns.sh" delete "$ns"
  echo "down.sh: deleted network namespace $ns"
fi
rm -f "$cache/cluster.json"
