#!/usr/bin/env bash
# Regenerate go.mod/go.sum for another Kubernetes version:
#   bash test/cluster/kube/gen-gomod.sh v1.36.3
# k8s.io/kubernetes requires its staging modules (k8s.io/api, apiserver, client-go, ...) at
# v0.0.0 and replaces them with ./staging paths, so it cannot be required as is. This writes a
# module that requires it and replaces every such v0.0.0 module with the published v0.N.P, and
# requires the etcd server version that Kubernetes itself uses. Then `go mod tidy`.
set -euo pipefail

version=${1:?usage: gen-gomod.sh v1.MINOR.PATCH}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
cache=${SLUICE_CACHE_DIR:-$repo/.cache}
export GOMODCACHE=$cache/go/mod GOCACHE=$cache/go/build GOTOOLCHAIN=local GOFLAGS=-buildvcs=false

staging_version=v0.${version#v1.}
modfile=$(go mod download -json "k8s.io/kubernetes@$version" |
  sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
[[ -f "$modfile" ]] || { echo "gen-gomod.sh: cannot download k8s.io/kubernetes@$version" >&2; exit 1; }
go_directive=$(awk '$1 == "go" {print $2; exit}' "$modfile")
etcd_version=$(awk '$1 == "go.etcd.io/etcd/server/v3" {print $2; exit}' "$modfile")
staging=$(grep -E '^[[:space:]]*k8s\.io/[^[:space:]]+ v0\.0\.0$' "$modfile" | awk '{print $1}' | sort -u)

{
  echo '// Builds kube-apiserver and etcd for the Sluice integration-test harness.'
  echo '// Not part of the Sluice product. Regenerate the replace block with'
  echo '// test/cluster/kube/gen-gomod.sh when changing the Kubernetes version.'
  echo 'module sluice.invalid/testcluster/kube'
  echo
  echo "go $go_directive"
  echo
  echo 'tool ('
  echo '	go.etcd.io/etcd/server/v3'
  echo '	k8s.io/kubernetes/cmd/kube-apiserver'
  echo '	k8s.io/kubernetes/cmd/kube-controller-manager'
  echo '	k8s.io/kubernetes/cmd/kube-scheduler'
  echo ')'
  echo
  echo 'require ('
  echo "	go.etcd.io/etcd/server/v3 $etcd_version"
  echo "	k8s.io/kubernetes $version"
  echo ')'
  echo
  echo 'replace ('
  for m in $staging; do printf '\t%s => %s %s\n' "$m" "$m" "$staging_version"; done
  echo ')'
} >"$here/go.mod"
rm -f "$here/go.sum"
(cd "$here" && go mod tidy)
echo "gen-gomod.sh: k8s.io/kubernetes $version, etcd $etcd_version, $(echo "$staging" | wc -l) staging modules at $staging_version"
