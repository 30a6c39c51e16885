# Sourced by up.sh / down.sh: pick a Node that can run harness.ts directly (type stripping,
# Node >= 22.18): $SLUICE_NODE, else the repo's node_modules/.bin/node, else node on PATH.
# shellcheck shell=bash
_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
NODE=${SLUICE_NODE:-}
if [[ -z "$NODE" && -x "$_repo/node_modules/.bin/node" ]]; then NODE=$_repo/node_modules/.bin/node; fi
NODE=${NODE:-$(command -v node || true)}
if [[ -z "$NODE" ]] || ! "$NODE" -e '
  const [a, b] = process.versions.node.split(".").map(Number);
  process.exit(a > 22 || (a === 22 && b >= 18) ? 0 : 1);'; then
  echo "need Node >= 22.18 to run test/cluster/harness.ts (npm install provides node_modules/.bin/node; or set SLUICE_NODE)" >&2
  exit 1
fi
export NODE_OPTIONS="${NODE_OPTIONS:-} --disable-warning=ExperimentalWarning"
unset _repo
