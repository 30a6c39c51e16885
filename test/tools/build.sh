#!/usr/bin/env bash
# Build the Go test tools of the e2e tests into the cache dir, from Go modules:
#   otlp-receiver      OTLP/HTTP traces endpoint decoding protobuf with the official OTLP bindings
#   openmetrics-parse  Prometheus's own OpenMetrics scrape parser over stdin, samples out as JSON
#   prometheus         Prometheus itself (cmd/prometheus at the version test/tools/go.mod pins,
#                      service discovery left out: -tags remove_all_sd), to scrape Sluice for real
# Usage: build.sh [tool…] (default: all). Idempotent: a tool is rebuilt only when its stamp (hash
# of what it is built from) changed. Same caches and settings as test/cluster/build.sh. Prometheus
# takes ~15 min cold on a loaded 2-core machine, seconds when its packages are in the Go cache.
#
#   SLUICE_CACHE_DIR   cache root (default: <repo>/.cache)
#   SLUICE_GO          go binary to use (default: go on PATH)
#
# Output: $SLUICE_CACHE_DIR/tools/bin/<tool>
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../cluster/cache-dir.sh
source "$here/../cluster/cache-dir.sh"
bindir=$cache/tools/bin
gobin=${SLUICE_GO:-go}
tools=("$@")
((${#tools[@]})) || tools=(otlp-receiver openmetrics-parse prometheus)

prometheus_version=$(awk '$1 == "github.com/prometheus/prometheus" && $2 ~ /^v/ {print $2; exit}' "$here/go.mod")
# Module v0.3MM.P is Prometheus 3.MM.P.
IFS=. read -r _ prom_minor prom_patch <<<"$prometheus_version"
prometheus_release=3.$((10#${prom_minor#3})).$prom_patch
ldflags="-s -w"
prometheus_ldflags="$ldflags -X github.com/prometheus/common/version.Version=$prometheus_release"

recipe() { # what a tool is built from
  case $1 in
    prometheus) echo "$prometheus_version remove_all_sd $prometheus_ldflags" ;;
    *) (cd "$here" && cat go.mod go.sum "$1"/*.go && echo "$ldflags") ;;
  esac
}
fresh() { [[ -x "$bindir/$1" && -f "$bindir/.$1.stamp" && "$(cat "$bindir/.$1.stamp")" == "$(recipe "$1" | sha256sum | cut -d' ' -f1)" ]]; }
stale=()
for t in "${tools[@]}"; do fresh "$t" || stale+=("$t"); done
((${#stale[@]})) || exit 0

mkdir -p "$bindir" "$cache/go/build" "$cache/go/mod"
exec 9>"$cache/tools/.build.lock"
flock -w 3600 9 || { echo "tools/build.sh: timed out waiting for another build" >&2; exit 1; }
command -v "$gobin" >/dev/null || { echo "tools/build.sh: '$gobin' not found; Go >= 1.26 is needed" >&2; exit 1; }

export GOCACHE=$cache/go/build
export GOMODCACHE=$cache/go/mod
export GOTOOLCHAIN=local
export CGO_ENABLED=0
export GOFLAGS=-buildvcs=false
cd "$here"
for t in "${stale[@]}"; do
  fresh "$t" && continue # built by a concurrent run
  start=$(date +%s)
  rm -f "$bindir/.$t.stamp"
  case $t in
    prometheus)
      echo "tools/build.sh: building Prometheus $prometheus_release (module $prometheus_version) from Go modules; the first build takes minutes" >&2
      GOBIN=$bindir "$gobin" install -trimpath -tags remove_all_sd "-ldflags=$prometheus_ldflags" "github.com/prometheus/prometheus/cmd/prometheus@$prometheus_version" ;;
    *) "$gobin" build -mod=readonly -trimpath "-ldflags=$ldflags" -o "$bindir/$t" "./$t" ;;
  esac
  recipe "$t" | sha256sum | cut -d' ' -f1 >"$bindir/.$t.stamp"
  echo "tools/build.sh: $t built in $(( $(date +%s) - start ))s" >&2
done
