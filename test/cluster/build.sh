#!/usr/bin/env bash
# Build kube-apiserver, kube-controller-manager, kube-scheduler and etcd from Go
# modules (test/cluster/kube/go.mod) into the cache dir. Idempotent: skips the
# build when all binaries exist and the stamp matches the hash of go.mod +
# go.sum + build settings. The controller-manager and scheduler are only used by
# the conformance harness (test/conformance); integration tests need the other two.
#
#   SLUICE_CACHE_DIR   cache root (default: <repo>/.cache)
#   SLUICE_BUILD_FORCE=1  rebuild even if the stamp matches
#   SLUICE_GO          go binary to use (default: go on PATH)
#
# Output: $SLUICE_CACHE_DIR/kube/bin/{kube-apiserver,kube-controller-manager,kube-scheduler,etcd}
# Go caches: $SLUICE_CACHE_DIR/go/{build,mod}
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=cache-dir.sh
source "$here/cache-dir.sh"
moddir=$here/kube
bindir=$cache/kube/bin
stamp=$bindir/.stamp
gobin=${SLUICE_GO:-go}

# Kubernetes version baked into the apiserver's /version (read from go.mod so
# there is one source of truth).
kube_version=$(awk '$1 == "k8s.io/kubernetes" && $2 ~ /^v/ {print $2; exit}' "$moddir/go.mod")
if [[ -z "$kube_version" ]]; then
  echo "build.sh: cannot find k8s.io/kubernetes version in $moddir/go.mod" >&2
  exit 1
fi
kube_minor=$(echo "$kube_version" | cut -d. -f2)
vpkg=k8s.io/component-base/version
ldflags="-s -w -X $vpkg.gitVersion=$kube_version -X $vpkg.gitMajor=1 -X $vpkg.gitMinor=$kube_minor"
ldflags+=" -X $vpkg.gitTreeState=clean -X $vpkg.buildDate=1970-01-01T00:00:00Z"
buildflags=(-trimpath "-ldflags=$ldflags")

want=$( { cat "$moddir/go.mod" "$moddir/go.sum"; echo "${buildflags[*]}"; } | sha256sum | cut -d' ' -f1)

binaries=(etcd kube-apiserver kube-controller-manager kube-scheduler)
is_fresh() {
  local b
  for b in "${binaries[@]}"; do [[ -x "$bindir/$b" ]] || return 1; done
  [[ -f "$stamp" ]] &&
    [[ "$(cat "$stamp")" == "$want" ]]
}

if [[ "${SLUICE_BUILD_FORCE:-0}" != 1 ]] && is_fresh; then
  echo "build.sh: ${binaries[*]} are up to date in $bindir"
  exit 0
fi

mkdir -p "$bindir" "$cache/go/build" "$cache/go/mod"

# One build at a time (global-setup and a human running up.sh may race).
exec 9>"$cache/kube/.build.lock"
if ! flock -w 3600 9; then
  echo "build.sh: timed out waiting for another build (lock $cache/kube/.build.lock)" >&2
  exit 1
fi
if [[ "${SLUICE_BUILD_FORCE:-0}" != 1 ]] && is_fresh; then
  echo "build.sh: built by a concurrent run; up to date in $bindir"
  exit 0
fi

if ! command -v "$gobin" >/dev/null; then
  echo "build.sh: '$gobin' not found; Go >= 1.26 is needed to build kube-apiserver" >&2
  exit 1
fi
gover=$("$gobin" env GOVERSION)
case "$gover" in
  go1.2[6-9]* | go1.[3-9][0-9]*) ;;
  *) echo "build.sh: need Go >= 1.26 (k8s $kube_version), found $gover" >&2; exit 1 ;;
esac

export GOCACHE=$cache/go/build
export GOMODCACHE=$cache/go/mod
export GOFLAGS="-buildvcs=false -mod=readonly"
export GOTOOLCHAIN=local
export CGO_ENABLED=0

echo "build.sh: building kube-apiserver, kube-controller-manager, kube-scheduler $kube_version and etcd with $gover into $bindir"
start=$(date +%s)
cd "$moddir"

build_one() { # <name> <package>
  local name=$1 pkg=$2 t0 t1
  t0=$(date +%s)
  rm -f "$bindir/$name.tmp"
  "$gobin" build "${buildflags[@]}" -o "$bindir/$name.tmp" "$pkg"
  mv -f "$bindir/$name.tmp" "$bindir/$name"
  t1=$(date +%s)
  echo "build.sh: $name built in $((t1 - t0))s ($(du -h "$bindir/$name" | cut -f1))"
}

rm -f "$stamp"
build_one etcd go.etcd.io/etcd/server/v3
build_one kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver
build_one kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager
build_one kube-scheduler k8s.io/kubernetes/cmd/kube-scheduler
echo "$want" >"$stamp"

end=$(date +%s)
echo "build.sh: done in $((end - start))s"
"$bindir/kube-apiserver" --version
"$bindir/kube-controller-manager" --version
"$bindir/kube-scheduler" --version
"$bindir/etcd" --version | head -1
