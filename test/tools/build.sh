#!/usr/bin/env bash
# Build the Go test tools of the e2e tests (test/tools/go.mod) into the cache dir:
#   otlp-receiver      OTLP/HTTP traces endpoint decoding protobuf with the official OTLP bindings
#   openmetrics-parse  Prometheus's own OpenMetrics scrape parser over stdin, samples out as JSON
# Idempotent: skips the build when the binaries exist and the stamp matches the hash of the
# module and its sources. Same caches and settings as test/cluster/build.sh.
#
#   SLUICE_CACHE_DIR   cache root (default: <repo>/.cache)
#   SLUICE_GO          go binary to use (default: go on PATH)
#
# Output: $SLUICE_CACHE_DIR/tools/bin/{otlp-receiver,openmetrics-parse}
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../cluster/cache-dir.sh
source "$here/../cluster/cache-dir.sh"
bindir=$cache/tools/bin
stamp=$bindir/.stamp
gobin=${SLUICE_GO:-go}
tools=(otlp-receiver openmetrics-parse)
buildflags=(-trimpath "-ldflags=-s -w")

want=$( { cd "$here" && cat go.mod go.sum ./*/*.go; echo "${buildflags[*]}"; } | sha256sum | cut -d' ' -f1)
is_fresh() {
  local t
  for t in "${tools[@]}"; do [[ -x "$bindir/$t" ]] || return 1; done
  [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]
}
if is_fresh; then exit 0; fi

mkdir -p "$bindir" "$cache/go/build" "$cache/go/mod"
exec 9>"$cache/tools/.build.lock"
flock -w 1800 9 || { echo "tools/build.sh: timed out waiting for another build" >&2; exit 1; }
if is_fresh; then exit 0; fi
command -v "$gobin" >/dev/null || { echo "tools/build.sh: '$gobin' not found; Go >= 1.26 is needed" >&2; exit 1; }

export GOCACHE=$cache/go/build
export GOMODCACHE=$cache/go/mod
export GOFLAGS="-buildvcs=false -mod=readonly"
export GOTOOLCHAIN=local
export CGO_ENABLED=0

start=$(date +%s)
cd "$here"
rm -f "$stamp"
for t in "${tools[@]}"; do "$gobin" build "${buildflags[@]}" -o "$bindir/$t" "./$t"; done
echo "$want" >"$stamp"
echo "tools/build.sh: ${tools[*]} built in $(( $(date +%s) - start ))s into $bindir" >&2
