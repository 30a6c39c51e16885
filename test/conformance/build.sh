#!/usr/bin/env bash
# Build the conformance harness's Go programs from test/conformance/go.mod into the cache dir:
# echo-basic (the suite's backend, from sigs.k8s.io/gateway-api/conformance), nodeagent (the
# fake node, ./nodeagent) and conformance.test (the suite runner, ./conformance_test.go).
# Idempotent: skipped when all three exist and the stamp matches go.mod + go.sum + sources.
#
#   SLUICE_CACHE_DIR   cache root (default: <repo>/.cache); Go caches in $SLUICE_CACHE_DIR/go
#   SLUICE_BUILD_FORCE=1  rebuild even if the stamp matches
#
# Output: $SLUICE_CACHE_DIR/conformance/bin/{echo-basic,nodeagent,conformance.test}
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../cluster/cache-dir.sh
source "$here/../cluster/cache-dir.sh"
bindir=$cache/conformance/bin
stamp=$bindir/.stamp
gobin=${SLUICE_GO:-go}
binaries=(echo-basic nodeagent conformance.test)

want=$(cd "$here" && cat go.mod go.sum ./*.go nodeagent/*.go | sha256sum | cut -d' ' -f1)
is_fresh() {
  local b
  for b in "${binaries[@]}"; do [[ -x "$bindir/$b" ]] || return 1; done
  [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]
}
if [[ "${SLUICE_BUILD_FORCE:-0}" != 1 ]] && is_fresh; then
  echo "conformance/build.sh: ${binaries[*]} are up to date in $bindir"
  exit 0
fi
mkdir -p "$bindir" "$cache/go/build" "$cache/go/mod"
exec 9>"$cache/conformance/.build.lock"
flock -w 3600 9 || { echo "conformance/build.sh: timed out waiting for another build" >&2; exit 1; }
if [[ "${SLUICE_BUILD_FORCE:-0}" != 1 ]] && is_fresh; then
  echo "conformance/build.sh: built by a concurrent run; up to date in $bindir"
  exit 0
fi

export GOCACHE=$cache/go/build GOMODCACHE=$cache/go/mod GOTOOLCHAIN=local CGO_ENABLED=0
export GOFLAGS="-buildvcs=false -mod=readonly"
cd "$here"
start=$(date +%s)
rm -f "$stamp"
build_one() { # <name> <build|test -c> <package>
  local name=$1 t0
  t0=$(date +%s)
  rm -f "$bindir/$name.tmp"
  if [[ $2 == test ]]; then
    "$gobin" test -c -trimpath "-ldflags=-s -w" -o "$bindir/$name.tmp" "$3"
  else
    "$gobin" build -trimpath "-ldflags=-s -w" -o "$bindir/$name.tmp" "$3"
  fi
  mv -f "$bindir/$name.tmp" "$bindir/$name"
  echo "conformance/build.sh: $name built in $(($(date +%s) - t0))s"
}
build_one echo-basic build sigs.k8s.io/gateway-api/conformance/echo-basic
build_one nodeagent build ./nodeagent
build_one conformance.test test .
echo "$want" >"$stamp"
echo "conformance/build.sh: done in $(($(date +%s) - start))s"
